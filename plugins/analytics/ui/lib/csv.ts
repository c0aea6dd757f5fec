/**
 * CSV (RFC 4180) for spreadsheets: every cell quoted, and a cell that a spreadsheet would run as a
 * formula (=, +, -, @, tab, carriage return first) starts with an apostrophe instead. Numbers are
 * written as plain digits so they stay numbers; negative ones never occur in these tables.
 */
export function csvCell(value: string | number | null | undefined): string {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? String(value) : csvCell(String(value))
  const text = value ?? ''
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text
  return `"${safe.replace(/"/g, '""')}"`
}

/** Rows as CSV text with CRLF line ends and a byte-order mark, so spreadsheet programs read it as UTF-8. */
export const toCsv = (rows: (string | number | null | undefined)[][]) => '\ufeff' + rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n'
