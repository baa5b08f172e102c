import { parseArgs } from 'node:util';
import * as path from 'node:path';
import { UsageError, type CliCommand } from './command';
import { readMatrixFile, readRowFile } from '../eval/matrix-io';
import { dropColumn, permuteMatrix, permuteRow, validateMatrix, validateRow } from '../eval/matrix';
import { computeMetrics, perDataset } from '../eval/metrics';
import { perDatasetTable, renderTable } from '../eval/tables';

function parseIndexList(text: string, option: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  return parts.map((p) => {
    if (!/^\d+$/.test(p)) throw new UsageError(`${option}: "${p}" is not a non-negative integer (expected e.g. 9,6,7,8)`);
    return Number(p);
  });
}

function fmt(v: number | null | undefined): string {
  return typeof v === 'number' ? v.toFixed(2) : 'undefined';
}

/**
 * `primed metrics <matrix.csv|matrix.json|matrix.npy> [--zero-shot FILE] [--drop-column K]
 * [--permute I,J,...] [--shape R,C] [--json]`: every metric of an accuracy matrix.
 * `--drop-column` applies first, then `--permute` (ZSCL's order), to the matrix and to the
 * zero-shot row alike.
 */
export const command: CliCommand = {
  name: 'metrics',
  summary: 'compute Transfer/Avg/Last, ACC, BWT, Forgetting (and FWT) from an accuracy matrix file',
  usage: [
    'primed metrics <matrix.csv|matrix.json|matrix.npy> [--zero-shot FILE] [--drop-column K] [--permute I,J,...] [--shape R,C] [--json]',
    '',
    '  matrix           rows = after task t, columns = datasets in training order (T×T after --drop-column)',
    '                   CSV with or without a header row; JSON number[][] or {"matrix": ...}; .npy 1-D or 2-D',
    '  --zero-shot FILE zero-shot accuracy per dataset (CSV row, JSON array, .npy); adds FWT',
    '  --drop-column K  delete column K first (ZSCL: --drop-column 2 removes CIFAR10)',
    '  --permute LIST   then reorder rows and columns: out[i][j] = A[p[i]][p[j]] (ZSCL Order II: 9,6,7,8,5,10,0,1,3,4,2)',
    '  --shape R,C      shape of a 1-D .npy (default: square, or R×(R+1) with --drop-column)',
    '  --json           print {"transfer","avg","last","acc","bwt","forgetting"[,"fwt"]} as JSON',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'zero-shot': { type: 'string' },
        'drop-column': { type: 'string' },
        permute: { type: 'string' },
        shape: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
    if (positionals.length !== 1) throw new UsageError(`expected one matrix file, got ${positionals.length}`);
    const file = positionals[0];
    const drop = values['drop-column'] !== undefined ? parseIndexList(values['drop-column'], '--drop-column') : [];
    if (drop.length > 1) throw new UsageError('--drop-column: give a single column index');
    let shape: [number, number] | undefined;
    if (values.shape !== undefined) {
      const s = parseIndexList(values.shape, '--shape');
      if (s.length !== 2) throw new UsageError('--shape: expected ROWS,COLS');
      shape = [s[0], s[1]];
    }

    const read = readMatrixFile(file, { shape, extraColumns: drop.length ? 1 : 0 });
    let rows = read.rows;
    let columns = read.columns;
    let zeroShot = values['zero-shot'] !== undefined ? readRowFile(values['zero-shot']) : read.zeroShot;
    const zsWhere = values['zero-shot'] ?? `${file}: zeroShot`;
    rows.forEach((r, i) => {
      if (!Array.isArray(r)) throw new Error(`${file}: row ${i} is not an array`);
    });
    if (drop.length) {
      rows = dropColumn(rows, drop[0], file);
      if (columns && columns.length === (read.rows[0]?.length ?? 0)) columns = columns.filter((_, c) => c !== drop[0]);
      if (zeroShot && zeroShot.length === (read.rows[0]?.length ?? 0)) zeroShot = zeroShot.filter((_, c) => c !== drop[0]);
    }
    let A = validateMatrix(rows, file);
    if (zeroShot) validateRow(zeroShot, A.length, zsWhere);
    if (values.permute !== undefined) {
      const order = parseIndexList(values.permute, '--permute');
      A = permuteMatrix(A, order, `--permute`);
      if (columns && columns.length === A.length) columns = permuteRow(columns, order);
      if (zeroShot) zeroShot = permuteRow(zeroShot, order, zsWhere);
    }

    const summary = computeMetrics(A, { zeroShot });
    if (values.json) {
      const out: Record<string, unknown> = {
        transfer: summary.transfer,
        avg: summary.avg,
        last: summary.last,
        acc: summary.acc,
        bwt: summary.bwt,
        forgetting: summary.forgetting,
      };
      if (zeroShot) out.fwt = summary.fwt ?? null;
      out.tasks = summary.tasks;
      out.perDataset = perDataset(A);
      if (Object.keys(summary.undefinedReasons).length) out.undefinedReasons = summary.undefinedReasons;
      process.stdout.write(JSON.stringify(out, null, 2) + '\n');
      return 0;
    }
    const names = columns && columns.length === A.length ? columns : A.map((_, d) => `dataset ${d}`);
    const lines = [
      `matrix      ${path.basename(file)}: ${A.length}×${A.length}${drop.length ? `, column ${drop[0]} dropped` : ''}${values.permute ? `, permuted ${values.permute}` : ''}`,
      `Transfer    ${fmt(summary.transfer)}`,
      `Avg         ${fmt(summary.avg)}`,
      `Last        ${fmt(summary.last)}`,
      `ACC         ${fmt(summary.acc)}`,
      `BWT         ${fmt(summary.bwt)}`,
      `Forgetting  ${fmt(summary.forgetting)}`,
      ...(zeroShot ? [`FWT         ${fmt(summary.fwt)}`] : []),
      ...Object.values(summary.undefinedReasons).map((r) => `note: ${r}`),
      '',
      renderTable(perDatasetTable(perDataset(A), names, 'per dataset')),
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};
