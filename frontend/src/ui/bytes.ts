// A size in bytes as people read it: 1023 bytes, 1.5 KB, 182.4 MB (units of 1024).
const UNITS = ["bytes", "KB", "MB", "GB", "TB"];

/** `n` bytes in the largest unit under which it is at least 1 (one decimal above bytes). */
export function bytes(n: number): string {
  let i = 0;
  while (n >= 1024 && i < UNITS.length - 1) {
    n /= 1024;
    i += 1;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${UNITS[i]}`;
}
