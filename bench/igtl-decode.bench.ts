// OpenIGTLink decode rate: a stream of TRANSFORM (v1) and TDATA (v2, 1 tool) messages through the
// stream decoder (header, CRC-64, body), against decoding a msgpack feed sample of the same content
// in the same run.  npm run bench:igtl
import { decodeFeedFrame, encodeMessage } from '../protocol/index.ts';
import { crc64 } from '../protocol/openigtlink/crc64.ts';
import { encodeIgtl } from '../protocol/openigtlink/igtl-codec.ts';
import { IgtlStreamDecoder } from '../protocol/openigtlink/igtl-stream.ts';
import { measure, printJson, printTable } from './harness.ts';

const I: [[number, number, number], [number, number, number], [number, number, number]] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
const N = 1000;
const transforms = Buffer.concat(Array.from({ length: N }, (_, k) => encodeIgtl({ headerVersion: 1, deviceName: 'LeadTip', timestamp: { seconds: k, fraction: 0 }, content: { type: 'TRANSFORM', rotation: I, translationMm: [k, 2, 3] } })));
const tdata = Buffer.concat(Array.from({ length: N }, (_, k) => encodeIgtl({ headerVersion: 2, deviceName: 'Tracker', timestamp: { seconds: k, fraction: 0 }, messageId: k, metadata: { frame: 'patient' }, content: { type: 'TDATA', elements: [{ name: 'LeadTip', type: 2, rotation: I, translationMm: [k, 2, 3] }] } })));
const sample = encodeMessage({ type: 'tip', seq: 1, t: 0.01, p: [1, 2, 3], quality: 'ok' });
const oneBody = transforms.subarray(58, transforms.length / N);

const rows = [
  measure('msgpack feed sample decode + validate (baseline)', () => decodeFeedFrame(sample), { batch: 5000 }),
  measure('OpenIGTLink TRANSFORM v1 (stream decoder, per message)', (i) => (i % N === 0 ? new IgtlStreamDecoder(65536).push(transforms) : null), { batch: N * 5 }),
  measure('OpenIGTLink TDATA v2 (stream decoder, per message)', (i) => (i % N === 0 ? new IgtlStreamDecoder(65536).push(tdata) : null), { batch: N * 5 }),
  measure('CRC-64 of one TRANSFORM body (48 B)', () => crc64(oneBody), { batch: 5000 }),
];
printTable('OpenIGTLink decode', rows, rows[0]);
const perSecond = (ns: number) => Math.round(1e9 / ns);
console.log(`  TRANSFORM: ${perSecond(rows[1]!.nsPerOp).toLocaleString('en')} messages/s on one core; TDATA: ${perSecond(rows[2]!.nsPerOp).toLocaleString('en')} messages/s`);
printJson('igtl', { transformNs: Math.round(rows[1]!.nsPerOp), tdataNs: Math.round(rows[2]!.nsPerOp), msgpackSampleNs: Math.round(rows[0]!.nsPerOp), crcNs: Math.round(rows[3]!.nsPerOp) });
