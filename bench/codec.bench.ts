// Codec: encode + decode of a guidance message with msgpack (our codec, with and without schema
// validation) against JSON.stringify/JSON.parse in the same run.
import { Packr } from 'msgpackr';
import { decodeDisplayFrame, decodeFrame, encodeMessage } from '../protocol/index.ts';
import { SAMPLE_GUIDANCE } from '../test/helpers/arbitraries.ts';
import { measure, printJson, printTable } from './harness.ts';
import { displayValidators, validateMessage } from '../protocol/validate.ts';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });
const rows = [
  measure('JSON.stringify + JSON.parse (baseline)', () => JSON.parse(JSON.stringify(SAMPLE_GUIDANCE)), { batch: 5000 }),
  measure('JSON.stringify + JSON.parse + validate', () => validateMessage(JSON.parse(JSON.stringify(SAMPLE_GUIDANCE)), displayValidators), { batch: 5000 }),
  measure('msgpack encode + decode (no validation)', () => decodeFrame(encodeMessage(SAMPLE_GUIDANCE)), { batch: 5000 }),
  measure('msgpack encode + decode + validate (decodeDisplayFrame)', () => decodeDisplayFrame(encodeMessage(SAMPLE_GUIDANCE)), { batch: 5000 }),
  measure('msgpackr defaults pack + unpack (library floor)', () => packr.unpack(packr.pack(SAMPLE_GUIDANCE)), { batch: 5000 }),
];
printTable('Codec: one guidance message', rows, rows[0]);
const jsonBytes = Buffer.byteLength(JSON.stringify(SAMPLE_GUIDANCE));
const packBytes = encodeMessage(SAMPLE_GUIDANCE).byteLength;
console.log(`  size: msgpack ${packBytes} B, JSON ${jsonBytes} B`);
printJson('codec', {
  jsonNs: Math.round(rows[0]!.nsPerOp),
  msgpackNs: Math.round(rows[2]!.nsPerOp),
  msgpackValidatedNs: Math.round(rows[3]!.nsPerOp),
  jsonValidatedNs: Math.round(rows[1]!.nsPerOp),
  msgpackOverJson: +(rows[2]!.nsPerOp / rows[0]!.nsPerOp).toFixed(2),
  msgpackBytes: packBytes,
  jsonBytes,
});
