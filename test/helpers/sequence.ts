/** Tiny generated task folders and a task-sequence file for the sequence tests. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';

/** Writes a w×h PNG of a colour plus a little seeded texture. */
export function png(file: string, w: number, h: number, colour: [number, number, number], seed: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const p = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) {
    for (let c = 0; c < 3; c++) p.data[i * 4 + c] = (colour[c] + ((i * 31 + seed * 17) % 40)) % 256;
    p.data[i * 4 + 3] = 255;
  }
  fs.writeFileSync(file, PNG.sync.write(p));
}

/** Two class folders of 10 images each (40×30, full "resolution" for the 28-pixel mini model). */
export function makeFolderTask(dir: string, classes: string[], n = 10): void {
  classes.forEach((c, k) => {
    for (let i = 0; i < n; i++) png(path.join(dir, c, `img${i}.png`), 40, 30, [k * 120, 60, 200 - k * 90], i);
  });
}

/**
 * Under `tmp/<name>`: `chest/` (2 class folders × 10 PNGs), `external/` (2 × 3, evaluation only),
 * `blood/labels.csv` (20 PNGs, columns file,diagnosis) and `seq.json` naming them (`my-seq`).
 */
export function makeWorld(tmp: string, name: string): string {
  const root = path.join(tmp, name);
  makeFolderTask(path.join(root, 'chest'), ['normal', 'pneumonia']);
  makeFolderTask(path.join(root, 'external'), ['normal', 'pneumonia'], 3);
  // A manifest task with its own column names.
  const rows = ['file,diagnosis'];
  for (let i = 0; i < 20; i++) {
    const cls = i % 2 ? 'eosinophil' : 'basophil';
    png(path.join(root, 'blood', 'img', `b${i}.png`), 36, 48, [i % 2 ? 220 : 30, 100, 150], i);
    rows.push(`img/b${i}.png,${cls}`);
  }
  fs.writeFileSync(path.join(root, 'blood', 'labels.csv'), rows.join('\n') + '\n');
  fs.writeFileSync(
    path.join(root, 'seq.json'),
    JSON.stringify({
      name: 'my-seq',
      tasks: [
        { folder: 'chest', domain: 'chest X-ray', classNames: ['normal lungs', 'pneumonia'], labels: ['normal', 'pneumonia'] },
        { manifest: 'blood/labels.csv', domain: 'blood cell microscopy', columns: { path: 'file', label: 'diagnosis' } },
        { folder: 'external', id: 'external-test', domain: 'chest X-ray', evaluationOnly: true, labels: ['normal', 'pneumonia'], classNames: ['normal lungs', 'pneumonia'] },
      ],
    }),
  );
  return root;
}

