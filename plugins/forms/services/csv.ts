/**
 * CSV (RFC 4180) for spreadsheets: every cell quoted, and a cell that a spreadsheet would run as a
 * formula (=, +, -, @, tab, carriage return first) starts with an apostrophe instead.
 */
export function csvCell(value: string | null | undefined): string {
  const text = value ?? ''
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text
  return `"${safe.replace(/"/g, '""')}"`
}

/** Rows as CSV text with CRLF line ends and a byte-order mark, so spreadsheet programs read it as UTF-8. */
export const toCsv = (rows: (string | null | undefined)[][]) => '\ufeff' + rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n'
