/**
 * Keeps the tslab kernel's output channel from failing cells under heavy output.
 *
 * tslab 1.0.22 sends every output message (stream text, displays, status) with zeromq 6's
 * `Publisher.send()` and does not wait for the returned promise. zeromq completes sends
 * synchronously, except that once in every 513 it defers one to the next event-loop turn (so
 * the loop is not starved); until that send has gone, any further `send()` throws EBUSY
 * ("Socket is busy writing") synchronously. In a notebook that prints or redraws a progress bar
 * often, the throw lands in user code (a display update inside a training loop), and Node's
 * console then drops the error's message (it swallows stream write errors), so the cell fails
 * with an empty `<Error>:` and loses its later output. Measured: one synchronous loop of 1,200
 * `tslab.display.text` calls fails after 506 outputs.
 *
 * A second loss is silent: a PUB socket drops every message sent while its queue for a
 * subscriber holds `sendHighWaterMark` (1,000) messages. When the notebook client reads slower
 * than a cell writes (a loaded machine, a burst of display updates), output vanishes from the
 * middle or the end of a cell. Measured: 5,000 messages of 2 kB to a client that starts reading
 * 1 s late, 2,999 arrive.
 *
 * {@link queueSocketSends} replaces `send` on a socket class so that a send made while the
 * socket is busy waits its turn instead of throwing; later sends queue behind it, so messages
 * keep their order. With `lossless`, it also lifts the socket's high-water mark before each send
 * (zeromq ≥ 4.2 applies that to connections already open), so nothing is dropped; messages
 * wait in memory until the client reads them. {@link queueKernelSends} applies both to the
 * zeromq the running kernel uses.
 */
type Send = (this: object, message: unknown, ...rest: unknown[]) => Promise<void>;

interface Pending {
  message: unknown;
  rest: unknown[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** Options of {@link queueSocketSends}. */
export interface QueueSendOptions {
  /** Set the socket's `sendHighWaterMark` to 0 (no limit) before each send, so a PUB socket never drops a message. */
  lossless?: boolean;
}

interface SocketQueue {
  pending: Pending[];
  /** The last send handed to zeromq; the socket is writable again once it settles. */
  last: Promise<void> | undefined;
  scheduled: boolean;
}

const INSTALLED = Symbol.for('primed.kernel-lib.queuedSend');

function isBusy(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'EBUSY';
}

/**
 * Makes `prototype.send` (a zeromq 6 socket class's) queue a message instead of throwing EBUSY
 * when the socket is still writing (and, with `options.lossless`, never drop one at the
 * high-water mark); returns false when it was already installed on that prototype.
 * Each queued send's promise settles when zeromq has taken the message.
 */
export function queueSocketSends(prototype: { send: Send }, options: QueueSendOptions = {}): boolean {
  const marked = prototype as unknown as Record<symbol, unknown>;
  if (Object.prototype.hasOwnProperty.call(prototype, INSTALLED)) return false;
  const original = prototype.send;
  const queues = new WeakMap<object, SocketQueue>();
  const queueOf = (socket: object): SocketQueue => {
    let q = queues.get(socket);
    if (!q) queues.set(socket, (q = { pending: [], last: undefined, scheduled: false }));
    return q;
  };
  const handOver = (socket: object, q: SocketQueue, message: unknown, rest: unknown[]): Promise<void> => {
    // Connections accepted by a bound socket start at its bind-time mark, and zeromq applies a
    // new mark to the connections open now: lift it before every send, so a client that
    // connected since (a reopened browser tab) is covered too.
    const s = socket as { sendHighWaterMark: number; closed?: boolean };
    if (options.lossless && !s.closed) s.sendHighWaterMark = 0; // a closed socket's send says so itself
    const sent = original.call(socket, message, ...rest);
    q.last = sent;
    sent.catch(() => undefined); // its caller (or the queue) sees the rejection; this only tracks completion
    return sent;
  };
  // Retry after the busy send settles, on a later loop turn (zeromq's deferred send runs there).
  const schedule = (socket: object, q: SocketQueue): void => {
    if (q.scheduled) return;
    q.scheduled = true;
    void (q.last ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => setImmediate(() => {
        q.scheduled = false;
        drain(socket, q);
      }));
  };
  const drain = (socket: object, q: SocketQueue): void => {
    while (q.pending.length) {
      const item = q.pending[0];
      let sent: Promise<void>;
      try {
        sent = handOver(socket, q, item.message, item.rest);
      } catch (e) {
        if (isBusy(e)) return schedule(socket, q);
        q.pending.shift();
        item.reject(e);
        continue;
      }
      q.pending.shift();
      sent.then(item.resolve, item.reject);
    }
  };
  const queued: Send = function (this: object, message: unknown, ...rest: unknown[]) {
    const q = queueOf(this);
    if (!q.pending.length) {
      try {
        return handOver(this, q, message, rest);
      } catch (e) {
        if (!isBusy(e)) throw e;
      }
    }
    return new Promise<void>((resolve, reject) => {
      q.pending.push({ message, rest, resolve, reject });
      schedule(this, q);
    });
  };
  // zeromq's own `send` (on its native Socket class) is read-only: define one on `prototype` instead.
  Object.defineProperty(prototype, 'send', { value: queued, writable: true, configurable: true });
  marked[INSTALLED] = true;
  return true;
}

/**
 * Applies {@link queueSocketSends}, lossless, to the zeromq `Publisher` of the tslab kernel this
 * code runs in (the kernel's output channel), once per process. `tslabDir` is the folder of the kernel's
 * tslab module files; returns whether the kernel's sends are queued now (false when its zeromq
 * cannot be found or is not zeromq 6).
 */
export function queueKernelSends(tslabDir: string): boolean {
  try {
    const resolved = require.resolve('zeromq', { paths: [tslabDir] });
    const zmq = (require.cache[resolved]?.exports ?? require(resolved)) as { Publisher?: { prototype: { send?: Send } } };
    const proto = zmq.Publisher?.prototype;
    if (!proto || typeof proto.send !== 'function') return false;
    queueSocketSends(proto as { send: Send }, { lossless: true });
    return true;
  } catch {
    return false;
  }
}
