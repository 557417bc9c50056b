// CRC-64/ECMA-182 as OpenIGTLink uses it (polynomial 0x42F0E1EBA9EA3693, MSB first, initial value
// 0, no reflection, no final XOR), table-driven on two 32-bit halves so no BigInt is needed per byte.

const POLY_HI = 0x42f0e1eb;
const POLY_LO = 0xa9ea3693;
const TABLE_HI = new Uint32Array(256);
const TABLE_LO = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let hi = i << 24;
  let lo = 0;
  for (let k = 0; k < 8; k++) {
    const top = hi & 0x80000000;
    hi = ((hi << 1) | (lo >>> 31)) >>> 0;
    lo = (lo << 1) >>> 0;
    if (top) {
      hi = (hi ^ POLY_HI) >>> 0;
      lo = (lo ^ POLY_LO) >>> 0;
    }
  }
  TABLE_HI[i] = hi >>> 0;
  TABLE_LO[i] = lo >>> 0;
}

/** CRC-64 of bytes[start, end), as a bigint. */
export function crc64(bytes: Uint8Array, start = 0, end = bytes.length): bigint {
  let hi = 0;
  let lo = 0;
  for (let i = start; i < end; i++) {
    const idx = ((hi >>> 24) ^ bytes[i]!) & 0xff;
    hi = (((hi << 8) | (lo >>> 24)) ^ TABLE_HI[idx]!) >>> 0;
    lo = ((lo << 8) ^ TABLE_LO[idx]!) >>> 0;
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}
