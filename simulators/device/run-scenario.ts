// Run a scenario through a fresh guidance pipeline, as the server would feed it (samples in
// arrival order, ticks in the silences), and keep the ground truth beside the guidance for scoring.

import type { LeadInfo } from '../../protocol/index.ts';
import { from, lastValueFrom, toArray } from 'rxjs';
import type { DisplayMessage, Guidance } from '../../protocol/index.ts';
import { PipelineCounters, type PipelineInput } from '../../server/pipeline/flow.ts';
import { guidancePipeline, type PipelineOptions } from '../../server/pipeline/procedure-pipeline.ts';
import { registerLandmarks, type Registration } from '../../server/pipeline/registration.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { treeCentre } from '../../server/twin/vein-tree.ts';
import { Random } from '../twin/random.ts';
import { applyMatrix, defaultDeviceOptions, gaussian, invertRigid, rigidMatrix, simulateDevice, simulatePhysio, type DeviceOptions, type FeedKind, type GroundTruth, type SimulatedSample, type SimulatedSignal } from './device-simulator.ts';
import { scenarioPlan, type ScenarioName, type ScenarioPlan } from './scenarios.ts';

export interface ScenarioRun {
  plan: ScenarioPlan;
  feed: FeedKind;
  messages: DisplayMessage[];
  guidance: Guidance[];
  truths: Map<number, GroundTruth>;
  counters: PipelineCounters;
  registration: Registration;
  /** RMS error of the registration at the vein nodes against the true transform, mm. */
  registrationErrorMm: number;
  inputs: PipelineInput[];
}

/** Ticks every 50 ms of arrival time while no sample arrives (what the server's clock mapping does). */
export const TICK_S = 0.05;

export function inputsFromSamples(samples: Iterable<SimulatedSample>, registration: Registration | null, closeAtEnd = true, signals: readonly SimulatedSignal[] = [], lead: LeadInfo | null = null): { inputs: PipelineInput[]; truths: Map<number, GroundTruth> } {
  const inputs: PipelineInput[] = [];
  const truths = new Map<number, GroundTruth>();
  if (registration) inputs.push({ kind: 'registration', registration });
  if (lead) inputs.push({ kind: 'lead', lead });
  let lastArrival = -Infinity;
  let lastT = 0;
  let nextSignal = 0;
  for (const s of samples) {
    // The lab's signals, in arrival order among the samples (none before the first sample).
    while (Number.isFinite(lastArrival) && nextSignal < signals.length && signals[nextSignal]!.arrivalS <= s.arrivalS) inputs.push({ kind: 'signal', signal: signals[nextSignal++]!.signal });
    if (Number.isFinite(lastArrival)) {
      for (let a = lastArrival + TICK_S; a < s.arrivalS; a += TICK_S) inputs.push({ kind: 'tick', t: lastT + (a - lastArrival) });
    }
    inputs.push({ kind: 'sample', sample: s.sample });
    truths.set(s.sample.seq, s.truth);
    lastArrival = s.arrivalS;
    lastT = s.sample.t;
  }
  if (closeAtEnd) inputs.push({ kind: 'closed', t: lastT + TICK_S });
  return { inputs, truths };
}

/** The simulated landmark registration: the twin's landmarks touched with a catheter, with noise. */
export function simulateLandmarkRegistration(twin: Twin, twinToSource: readonly number[], noiseMm: number, seed: number): Registration {
  const random = new Random(seed ^ 0x5eed);
  const landmarks = twin.landmarks.slice(0, 4);
  const source = landmarks.map((l) => applyMatrix(twinToSource, l.positionMm).map((v) => v + noiseMm * gaussian(random)) as [number, number, number]);
  const { fit: _fit, ...registration } = registerLandmarks(source, landmarks.map((l) => l.positionMm));
  return registration;
}

export function registrationError(twin: Twin, registration: Registration, twinToSource: readonly number[]): number {
  const v = twin.veins;
  let sum = 0;
  for (let i = 0; i < v.nodeCount; i++) {
    const p = [v.positionsMm[3 * i]!, v.positionsMm[3 * i + 1]!, v.positionsMm[3 * i + 2]!];
    const back = applyMatrix(registration.matrix, applyMatrix(twinToSource, p));
    sum += (back[0] - p[0]!) ** 2 + (back[1] - p[1]!) ** 2 + (back[2] - p[2]!) ** 2;
  }
  return Math.sqrt(sum / v.nodeCount);
}

export interface RunOptions {
  device?: Partial<DeviceOptions>;
  pipeline?: Partial<PipelineOptions>;
  /** Landmark noise for the EAM registration (mm per axis). */
  landmarkNoiseMm?: number;
  /** Change the scenario's plan (e.g. withExcursions) before it runs. */
  plan?: (plan: ScenarioPlan) => ScenarioPlan;
}

export async function runScenario(twin: Twin, name: ScenarioName, feed?: FeedKind, options: RunOptions = {}): Promise<ScenarioRun> {
  const planned = scenarioPlan(twin, name);
  const plan = options.plan ? options.plan(planned) : planned;
  const kind = feed ?? plan.feed;
  const device = defaultDeviceOptions(kind, options.device);
  if (!options.device?.motion) {
    // Each run's heart and breathing rates differ, so the pipeline has to find them.
    const r = new Random(device.seed * 7919 + 17);
    device.motion = { ...device.motion, cardiacHz: r.range(0.85, 1.45), respiratoryHz: r.range(0.18, 0.32) };
  }
  if (kind !== 'eam' && !options.device?.twinToSource) {
    // Put the heart at the C-arm isocentre (the vein tree's centre), as a technician would.
    const c = treeCentre(twin.veins);
    device.twinToSource = rigidMatrix([0, 0, 1], 0, [-c[0]!, -c[1]!, -c[2]!]);
  }
  if (name === 'dropout-and-recover' && !options.device?.gaps) device.gaps = [[0.45 * 20, 1.5]];
  const seed = device.seed;
  const registration: Registration =
    kind === 'eam'
      ? simulateLandmarkRegistration(twin, device.twinToSource, options.landmarkNoiseMm ?? 0.58, seed)
      : // C-arm to CT registration: the true transform with a small error (0.5°, 1 mm).
        { state: 'landmarks', matrix: multiply(rigidMatrix([1, 1, 0], 0.5, [0.6, -0.5, 0.6]), invertRigid(device.twinToSource)), rmsMm: 1 };
  const samples = [...simulateDevice(twin, plan, device)];
  const signals = device.signals ? simulatePhysio(twin, device, (samples[samples.length - 1]?.arrivalS ?? 0) + 1) : [];
  const { inputs, truths } = inputsFromSamples(samples, registration, true, signals, device.lead ?? null);
  const counters = new PipelineCounters();
  const messages = await lastValueFrom(from(inputs).pipe(guidancePipeline(twin, { procedureId: 'sim', counters, ...options.pipeline }), toArray()));
  return {
    plan,
    feed: kind,
    messages,
    guidance: messages.filter((m): m is Guidance => m.type === 'guidance'),
    truths,
    counters,
    registration,
    registrationErrorMm: registrationError(twin, registration, device.twinToSource),
    inputs,
  };
}

export function multiply(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(16).fill(0);
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) for (let k = 0; k < 4; k++) out[4 * r + c]! += a[4 * r + k]! * b[4 * k + c]!;
  return out;
}
