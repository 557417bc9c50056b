// Hearts, breathing and devices beyond what the accuracy conditions draw, for checking that
// guidance degrades honestly where nobody tuned it (bench:robustness, and a test of its confidence):
// each changes one thing of a condition's simulated heart, breath or device.

import type { DeviceOptions } from './device-simulator.ts';
import type { MotionSpec } from './heart-motion.ts';

export interface UnseenVariant { name: string; description: string; motion?: (m: MotionSpec) => MotionSpec; device?: Partial<DeviceOptions> }

export const UNSEEN_VARIANTS: readonly UnseenVariant[] = [
  { name: 'as-drawn', description: "the condition's own heart and breath" },
  { name: 'af', description: 'RR intervals varying by 25 % (atrial fibrillation, common in CRT candidates)', motion: (m) => ({ ...m, rrVariability: 0.25 }) },
  { name: 'heart-120', description: 'heart rate 120 per minute', motion: (m) => ({ ...m, cardiacHz: 2 }) },
  { name: 'heart-42', description: 'heart rate 42 per minute', motion: (m) => ({ ...m, cardiacHz: 0.7 }) },
  { name: 'big-heartbeat', description: 'a 15 mm heartbeat', motion: (m) => ({ ...m, cardiacMm: 15 }) },
  { name: 'deep-breath', description: 'a 15 mm breath', motion: (m) => ({ ...m, respiratoryMm: 15 }) },
  { name: 'fast-breath', description: 'breathing 27 per minute', motion: (m) => ({ ...m, respiratoryHz: 0.45 }) },
  { name: 'slow-breath', description: 'breathing 7 per minute', motion: (m) => ({ ...m, respiratoryHz: 0.12 }) },
  { name: 'ap-breath', description: 'breathing mostly antero-posterior (31° from that axis)', motion: (m) => ({ ...m, respiratoryDirection: [0.3, 0.9, -0.45] }) },
  { name: 'noise-1.5', description: '1.5 mm of position noise per axis', device: { noiseMm: 1.5 } },
  { name: 'rate-50', description: '50 samples (or frames) per second', device: { rateHz: 50 } },
  { name: 'rate-20', description: '20 samples (or frames) per second', device: { rateHz: 20 } },
  { name: 'rate-7.5', description: '7.5 samples (or frames) per second', device: { rateHz: 7.5 } },
  { name: 'rate-4', description: '4 frames per second (low-dose pulsed fluoroscopy for device implantation)', device: { rateHz: 4 } },
];
