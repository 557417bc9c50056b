// The writer's three CRCs (each chunk's, the data section's, the summary's) are the CRC-32 the MCAP
// specification names, checked against @mcap/core's stream reader and a bit-by-bit CRC-32 written here.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McapStreamReader, type McapTypes } from '@mcap/core';
import { afterAll, describe, expect, it } from 'vitest';
import { McapFileWriter } from '../../server/recording/mcap-file-writer.ts';

/** CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), one bit at a time: slow and plainly right. */
function referenceCrc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const dir = mkdtempSync(join(tmpdir(), 'twinguide-mcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('McapFileWriter CRCs', () => {
  it('writes chunk, data-section and summary CRCs that an independent CRC-32 agrees with', () => {
    expect(referenceCrc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926); // the standard check value
    const path = join(dir, 'crc.mcap');
    const writer = new McapFileWriter(path, 2048);
    const ids = writer.start('twinguide', 'test', [{ topic: '/a', schemaName: 'A', schema: {} }, { topic: '/b', schemaName: 'B', schema: {} }]);
    const encoder = new TextEncoder();
    for (let i = 0; i < 600; i++) {
      writer.add(ids.get(i % 3 ? '/a' : '/b')!, BigInt(1e9 + i * 1e7), BigInt(i), encoder.encode(JSON.stringify({ i, pad: 'x'.repeat(i % 97) })));
      if (i % 41 === 0) writer.flush();
    }
    writer.close();
    const file = new Uint8Array(readFileSync(path));

    // The stream reader checks every chunk's CRC itself (it throws on a mismatch).
    const reader = new McapStreamReader({ validateCrcs: true });
    reader.append(file);
    const records: McapTypes.TypedMcapRecord[] = [];
    for (let r; (r = reader.nextRecord()); ) records.push(r);
    expect(records.filter((r) => r.type === 'Message')).toHaveLength(600);
    const dataEnd = records.find((r) => r.type === 'DataEnd') as McapTypes.DataEnd;
    const footer = records.find((r) => r.type === 'Footer') as McapTypes.Footer;

    // Data section: as @mcap/core's own writer sums it, from the file's first byte (magic and
    // header included) to the DataEnd record's start.
    const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
    const summaryStart = Number(footer.summaryStart);
    const dataEndStart = summaryStart - (1 + 8 + 4); // opcode, length, crc
    expect(view.getUint8(dataEndStart)).toBe(0x0f);
    expect(dataEnd.dataSectionCrc).toBe(referenceCrc32(file.subarray(0, dataEndStart)));
    // Summary: from its start through the footer's summary offsets (everything before the CRC field).
    const footerCrcAt = file.length - 8 - 4;
    expect(footer.summaryCrc).toBe(referenceCrc32(file.subarray(summaryStart, footerCrcAt)));
  });
});
