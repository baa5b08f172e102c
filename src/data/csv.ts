/**
 * The one CSV parser (RFC 4180: quoted fields, doubled quotes, newlines inside quotes, CRLF or
 * LF), used by task manifests, memory importers and accuracy-matrix files.
 */

/** Rows of a CSV text, and the line each row starts on. */
export interface CsvRows {
  /** Rows of fields, the header row included. */
  rows: string[][];
  /** 1-based line on which each row starts (rows may span lines inside quotes). */
  lines: number[];
}

/**
 * Parses CSV text into rows of fields (including the header row); blank lines are skipped.
 * Quoting errors are refused, naming `file` and the line: a quote that is never closed, and
 * text after a closing quote (the usual sign of a stray quote that swallowed the rows after it).
 */
export function parseCsv(text: string, file = 'csv'): CsvRows {
  const rows: string[][] = [];
  const lines: number[] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let quoteLine = 1;
  const endRow = () => {
    row.push(field);
    if (!(row.length === 1 && row[0] === '')) {
      rows.push(row);
      lines.push(rowLine);
    }
    row = [];
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') (field += '"'), i++;
        else {
          quoted = false;
          const next = text[i + 1];
          if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
            throw new Error(`${file}:${line}: text after the closing quote of a field opened on line ${quoteLine} (a stray or unescaped quote? write "" inside quotes)`);
          }
        }
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"' && field === '') {
      quoted = true;
      quoteLine = line;
    } else if (ch === ',') (row.push(field), (field = ''));
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else field += ch;
  }
  if (quoted) throw new Error(`${file}:${quoteLine}: unterminated quoted field (a quote opened here is never closed)`);
  if (field !== '' || row.length) endRow();
  return { rows, lines };
}
