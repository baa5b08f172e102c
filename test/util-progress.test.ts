/** The terminal progress bar: finished bars read 100 % with no eta; off a TTY, lines are throttled but a finished bar always prints. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSeconds, terminalProgress } from '../src/util/progress';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let out = '';
  const stream = { isTTY, columns: 200, write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream;
  return { stream, text: () => out };
}

test('terminalProgress off a TTY: the finished bar prints at 100 % without an eta, in-between lines are throttled', () => {
  const { stream, text } = fakeStream(false);
  const sink = terminalProgress(stream, 60_000);
  sink({ label: 'protocol', done: 0, total: 5 }); // first line prints
  sink({ label: 'protocol', done: 1, total: 5 }); // throttled
  sink({ label: 'protocol', done: 5, total: 5, metrics: { 'mean accuracy': 45.25 } }); // finished: printed
  const lines = text().trimEnd().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^protocol \[\.{24}\] 0\/5 \(0%\)/);
  assert.match(lines[1], /^protocol \[#{24}\] 5\/5 \(100%\) \d+(\.\d)?s mean accuracy 45\.3$/);
  assert.doesNotMatch(lines[1], /eta/);
});

test('formatSeconds: tenths below 100 s, whole seconds above, no float noise', () => {
  assert.deepEqual([0.002, 0.04, 0.06, 0.6, 18.34, 99.96, 123.4].map(formatSeconds), ['0', '0', '0.1', '0.6', '18.3', '100', '123']);
});

test('terminalProgress on a TTY redraws one line in place and ends a finished bar with a newline', () => {
  const { stream, text } = fakeStream(true);
  const sink = terminalProgress(stream);
  sink({ label: 'train breast', done: 1, total: 4 });
  sink({ label: 'train breast', done: 4, total: 4 });
  const out = text();
  assert.equal(out.split('\r').length - 1, 2, 'each update returns to the start of the line');
  assert.match(out, /train breast \[#{6}\.{18}\] 1\/4 \(25%\)/);
  assert.match(out, /4\/4 \(100%\) \d+(\.\d)?s\x1b\[K\n$/);
});

test('terminalProgress: a new label in the same slot restarts the clock', () => {
  const { stream, text } = fakeStream(false);
  const sink = terminalProgress(stream, 0);
  sink({ label: 'worker 1: train a', slot: 'worker 1', done: 1, total: 2 });
  sink({ label: 'worker 1: evaluate after a', slot: 'worker 1', done: 1, total: 5 });
  const lines = text().trimEnd().split('\n');
  assert.match(lines[1], /^worker 1: evaluate after a \[#{5}\.{19}\] 1\/5 \(20%\) 0s/);
});
