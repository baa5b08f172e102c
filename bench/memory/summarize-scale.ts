/**
 * Writes the generated "memory at scale" block of bench/README.md from bench/results/memory-scale-*.json.
 *
 *   npx tsx bench/memory/summarize-scale.ts
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readScaleFiles, renderScaleSection, spliceSection } from './scale-report';

const root = path.join(__dirname, '..');
const readme = path.join(root, 'README.md');
const files = readScaleFiles(path.join(root, 'results'));
if (files.length === 0) throw new Error(`${path.join(root, 'results')}: no memory-scale-*.json result files`);
fs.writeFileSync(readme, spliceSection(fs.readFileSync(readme, 'utf8'), renderScaleSection(files)));
process.stdout.write(`${readme}: memory-scale section from ${files.map((f) => f.rows).join(', ')} rows\n`);
