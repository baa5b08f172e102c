/**
 * kernel-lib/send-queue: the tslab kernel's output channel (a zeromq 6 Publisher) must take a
 * burst of messages sent without awaiting, in order. Real zeromq sockets over TCP on 127.0.0.1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { queueSocketSends } from '../kernel-lib/send-queue';

// The zeromq the kernel uses: the one tslab resolves.
type Zmq = typeof import('zeromq');
type Publisher = InstanceType<Zmq['Publisher']>;
type Subscriber = InstanceType<Zmq['Subscriber']>;
const zmq = require(require.resolve('zeromq', { paths: [path.dirname(require.resolve('tslab'))] })) as Zmq;

const BURST = 1200;

async function connectedPair(PublisherClass: Zmq['Publisher']): Promise<{ pub: Publisher; sub: Subscriber }> {
  const pub = new PublisherClass();
  await pub.bind('tcp://127.0.0.1:*');
  const sub = new zmq.Subscriber();
  sub.connect(pub.lastEndpoint!);
  sub.subscribe();
  // PUB drops messages until the subscription has arrived: send probes until one comes through.
  const arrived = sub.receive();
  let through = false;
  void arrived.then(() => (through = true));
  while (!through) {
    await pub.send('probe');
    await new Promise((r) => setTimeout(r, 20));
  }
  await arrived; // later probes may still arrive: readers skip them
  return { pub, sub };
}

test('zeromq 6 alone: a burst of un-awaited sends throws EBUSY (the failure the queue exists for)', async () => {
  const { pub, sub } = await connectedPair(zmq.Publisher);
  try {
    let thrown: unknown;
    let sent = 0;
    try {
      for (let i = 0; i < BURST; i++) {
        void pub.send(`m${i}`).catch(() => undefined);
        sent++;
      }
    } catch (e) {
      thrown = e;
    }
    assert.equal((thrown as { code?: string } | undefined)?.code, 'EBUSY', `expected EBUSY within ${BURST} sends; ${sent} went through`);
    assert.ok(sent < BURST);
  } finally {
    sub.close();
    pub.close();
  }
});

test('queueSocketSends: the same burst is delivered whole and in order, and the promises resolve', async () => {
  class QueuedPublisher extends zmq.Publisher {}
  assert.equal(queueSocketSends(QueuedPublisher.prototype as unknown as { send: (m: unknown) => Promise<void> }), true);
  assert.equal(queueSocketSends(QueuedPublisher.prototype as unknown as { send: (m: unknown) => Promise<void> }), false, 'installs once');
  const { pub, sub } = await connectedPair(QueuedPublisher);
  try {
    const promises: Promise<void>[] = [];
    for (let i = 0; i < BURST; i++) promises.push(pub.send(`m${i}`)); // synchronously, as tslab does
    await Promise.all(promises);
    const received: string[] = [];
    while (received.length < BURST) {
      const frame = (await sub.receive())[0].toString();
      if (frame !== 'probe') received.push(frame);
    }
    assert.deepEqual(received, Array.from({ length: BURST }, (_, i) => `m${i}`));
    // The unpatched class is untouched.
    assert.equal(Object.prototype.hasOwnProperty.call(zmq.Publisher.prototype, 'send'), false);
  } finally {
    sub.close();
    pub.close();
  }
});

test('queueSocketSends: a send on a closed socket still rejects with its error (lossless or not)', async () => {
  for (const lossless of [false, true]) {
    class QueuedPublisher extends zmq.Publisher {}
    queueSocketSends(QueuedPublisher.prototype as unknown as { send: (m: unknown) => Promise<void> }, { lossless });
    const pub = new QueuedPublisher();
    pub.close();
    assert.throws(() => pub.send('x'), /closed/i, `lossless ${lossless}`);
  }
});

// A client that reads late (a loaded machine): 5,000 messages of 4 kB overflow the PUB socket's
// high-water mark (1,000 queued messages) and the TCP buffers.
async function burstToLateReader(pub: Publisher, sub: Subscriber): Promise<{ received: string[]; endArrived: boolean }> {
  const pad = 'x'.repeat(4000);
  const sends: Promise<void>[] = [];
  for (let i = 0; i < 5000; i++) sends.push(pub.send(`m${i} ${pad}`).catch(() => undefined));
  sends.push(pub.send('END').catch(() => undefined));
  await new Promise((r) => setTimeout(r, 1000));
  sub.receiveTimeout = 3000;
  const received: string[] = [];
  for (;;) {
    let frame: string;
    try {
      frame = (await sub.receive())[0].toString();
    } catch {
      return { received, endArrived: false }; // nothing more within 3 s
    }
    if (frame === 'END') break;
    if (frame !== 'probe') received.push(frame.slice(0, frame.indexOf(' ')));
  }
  await Promise.all(sends);
  return { received, endArrived: true };
}

test('zeromq 6 alone: a PUB socket drops messages for a client that reads late (the second loss)', async () => {
  class QueuedPublisher extends zmq.Publisher {}
  queueSocketSends(QueuedPublisher.prototype as unknown as { send: (m: unknown) => Promise<void> });
  const { pub, sub } = await connectedPair(QueuedPublisher);
  try {
    const { received, endArrived } = await burstToLateReader(pub, sub);
    assert.ok(received.length < 5000 || !endArrived, `expected drops at the high-water mark; ${received.length} arrived`);
  } finally {
    sub.close();
    pub.close();
  }
});

test('queueSocketSends lossless: every message reaches a client that reads late, in order, the last one too', async () => {
  class QueuedPublisher extends zmq.Publisher {}
  queueSocketSends(QueuedPublisher.prototype as unknown as { send: (m: unknown) => Promise<void> }, { lossless: true });
  const { pub, sub } = await connectedPair(QueuedPublisher);
  try {
    const { received, endArrived } = await burstToLateReader(pub, sub);
    assert.equal(endArrived, true, `the last message arrived (${received.length} before it)`);
    assert.deepEqual(received, Array.from({ length: 5000 }, (_, i) => `m${i}`));
  } finally {
    sub.close();
    pub.close();
  }
});
