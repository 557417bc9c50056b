// `twinguide simulate`: drive a simulated lead through a scenario on a twin, into a server's feed
// WebSocket (ws://), its OpenIGTLink port (igtl://, EAM as TRANSFORM), or a recording (*.mcap: the
// samples as they would arrive and the guidance a fresh pipeline gives), with the ground truth of
// every sample beside it (--truth, JSON lines). A finite scenario ends by itself; Ctrl-C stops
// the endless one cleanly.

import { createWriteStream, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { from, lastValueFrom, tap, toArray } from 'rxjs';
import { TwinguideError, type LeadInfo, decodeDisplayFrame, encodeMessage } from '../protocol/index.ts';
import { encodeIgtl } from '../protocol/openigtlink/igtl-codec.ts';
import { IgtlStreamDecoder } from '../protocol/openigtlink/igtl-stream.ts';
import { guidancePipeline } from '../server/pipeline/procedure-pipeline.ts';
import { ProcedureRecorder } from '../server/recording/procedure-recording.ts';
import { loadTwinFile } from '../server/twin/load-twin.ts';
import { applyMatrix, defaultDeviceOptions, gaussian, invertRigid, physioStream, rigidMatrix, simulateDevice, simulatePhysio, type FeedKind, type SimulatedSample, type SimulatedSignal } from '../simulators/device/device-simulator.ts';
import { Random } from '../simulators/twin/random.ts';
import type { Twin } from '../server/twin/twin.ts';
import { inputsFromSamples, simulateLandmarkRegistration } from '../simulators/device/run-scenario.ts';
import { resolveLead } from '../server/lead/lead-catalogue.ts';
import { SCENARIO_NAMES, scenarioPlan, type ScenarioName } from '../simulators/device/scenarios.ts';
import { WALL_CONTACT } from '../simulators/device/wall-contact.ts';
import { EXIT_OK, parseCommandArgs, type Command, type Io } from './command.ts';

export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** Wait for a connection; a failure becomes TG_ERR_CONNECT naming the target. */
async function connected(to: string, wire: (resolve: () => void, reject: (e: Error) => void) => void): Promise<void> {
  try {
    await new Promise<void>(wire);
  } catch (cause) {
    throw new TwinguideError('TG_ERR_CONNECT', `cannot connect to ${to}: ${(cause as Error).message}`, { cause });
  }
}

/** Touch the twin's landmarks (1 mm noise) and post them as the procedure's registration. */
async function registerOverRest(to: string, twin: Twin, twinToSource: readonly number[], seed: number, io: Io): Promise<void> {
  const url = new URL(to.replace(/^ws/, 'http'));
  const procedure = url.searchParams.get('procedure');
  if (!procedure) throw new TwinguideError('TG_ERR_USAGE', '--register needs a ws:// target with ?procedure=ID');
  const random = new Random(seed ^ 0x5eed);
  const pairs = twin.landmarks.slice(0, 4).map((l) => ({ name: l.name, source: applyMatrix(twinToSource, l.positionMm).map((v) => v + 0.58 * gaussian(random)) }));
  const response = await fetch(`${url.origin}/api/procedures/${encodeURIComponent(procedure)}/registration`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'landmarks', pairs }) });
  const body = (await response.json()) as { rmsMm?: number; message?: string };
  if (!response.ok) throw new TwinguideError('TG_ERR_REGISTRATION', `registration refused: ${body.message ?? response.status}`);
  io.out(`registered procedure ${procedure} from ${pairs.length} landmarks (RMS ${body.rmsMm?.toFixed(2)} mm)`);
}

/** Feed time t (s) as an OpenIGTLink timestamp (from a fixed epoch, so the server sees a plausible clock). */
function igtlTimestamp(t: number): { seconds: number; fraction: number } {
  return { seconds: 1_700_000_000 + Math.floor(t), fraction: Math.round((t - Math.floor(t)) * 2 ** 32) % 2 ** 32 };
}

/** Send samples (and the lab's signals, if any) at their arrival pace to a server; stop at the end or on SIGINT/SIGTERM. */
async function sendLive(
  to: string,
  samples: Iterator<SimulatedSample>,
  options: { pace: number; device: string; truth: string | undefined; io: Io; signals: Iterator<SimulatedSignal> | null },
): Promise<number> {
  const truth = options.truth ? createWriteStream(options.truth) : null;
  let send: (s: SimulatedSample) => void;
  let sendSignal: (s: SimulatedSignal) => void;
  let close: () => void;
  const errors: string[] = [];
  if (to.startsWith('igtl://')) {
    const url = new URL(to.replace(/^igtl:/, 'http:'));
    const socket = connect(Number(url.port || 18944), url.hostname);
    await connected(to, (resolve, reject) => { socket.once('connect', () => resolve()); socket.once('error', reject); });
    const decoder = new IgtlStreamDecoder(65536);
    socket.on('data', (d: Buffer) => { for (const e of decoder.push(d)) if (e.kind === 'message' && e.message.content.type === 'STATUS' && e.message.content.code !== 1) errors.push(e.message.content.statusString); });
    const identity: [[number, number, number], [number, number, number], [number, number, number]] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
    send = (s) => {
      if (s.sample.type !== 'tip') return;
      socket.write(encodeIgtl({ headerVersion: 1, deviceName: options.device, timestamp: igtlTimestamp(s.sample.t), content: { type: 'TRANSFORM', rotation: identity, translationMm: s.sample.p } }));
    };
    // The lab's signals as SENSOR messages from <device>-ECG (a reading > 0: an R wave) and <device>-RESP.
    sendSignal = ({ signal }) => {
      const ecg = signal.type === 'rwave';
      socket.write(encodeIgtl({ headerVersion: 1, deviceName: `${options.device}-${ecg ? 'ECG' : 'RESP'}`, timestamp: igtlTimestamp(signal.t), content: { type: 'SENSOR', status: 0, unit: 0n, values: [ecg ? 1 : signal.amplitude] } }));
    };
    close = () => socket.end();
  } else {
    const ws = new WebSocket(to);
    await connected(to, (resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
    ws.on('message', (d: Buffer) => { try { const m = decodeDisplayFrame(d); if (m.type === 'error') errors.push(`${m.code}: ${m.message}`); } catch { /* not ours */ } });
    send = (s) => ws.send(encodeMessage(s.sample));
    sendSignal = (s) => ws.send(encodeMessage(s.signal));
    close = () => ws.close();
  }
  let stopped = false;
  const stop = (): void => { stopped = true; };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const started = performance.now();
  const until = async (arrivalS: number): Promise<void> => {
    const wait = started + (arrivalS * 1000) / options.pace - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  };
  let sent = 0, signalsSent = 0;
  let signal = options.signals?.next();
  try {
    for (let next = samples.next(); !next.done && !stopped; next = samples.next()) {
      // The signals that arrive before this sample, each at its own time (none before the first
      // sample: the server reads a signal's time on the feed's clock, which the samples set).
      for (; signal && !signal.done && signal.value.arrivalS <= next.value.arrivalS && !stopped; signal = options.signals!.next()) {
        if (sent === 0) continue;
        await until(signal.value.arrivalS);
        sendSignal(signal.value);
        signalsSent++;
      }
      await until(next.value.arrivalS);
      send(next.value);
      truth?.write(`${JSON.stringify(next.value.truth)}\n`);
      sent++;
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await new Promise((r) => setTimeout(r, 50)); // let the last frames and replies through
    close();
    if (truth) await new Promise<void>((resolve) => truth.end(() => resolve()));
  }
  options.io.out(`sent ${sent} samples${options.signals ? ` and ${signalsSent} ECG and respiration readings` : ''} to ${to}${stopped ? ' (stopped)' : ''}${errors.length ? `; ${errors.length} rejected, first: ${errors[0]}` : ''}`);
  return EXIT_OK;
}

export const simulate: Command = {
  name: 'simulate',
  summary: 'run a simulated implant scenario on a twin and record it (samples, guidance, ground truth)',
  help: `Usage: twinguide simulate --twin FILE --scenario NAME --to OUT.mcap [options]

Simulates a lead following a scripted scenario on the twin, seen by an EAM system or by
fluoroscopy, with cardiac and respiratory motion, noise, dropouts, jitter and reordering, and sends
the samples at their real pace to TARGET:
  ws://HOST:PORT/ws/feed?procedure=ID   a server's feed WebSocket (msgpack frames)
  igtl://HOST:PORT                       a server's OpenIGTLink port (EAM only, as TRANSFORM of --device)
  FILE.mcap                              a recording: the samples and the guidance of a fresh pipeline,
                                         which 'twinguide replay' reproduces exactly (as fast as possible)

Scenarios: ${SCENARIO_NAMES.join(', ')}

Options:
  --twin FILE        the twin (*.twin.json)
  --scenario NAME    one of the scenarios above
  --to TARGET        where the samples go (above); a recording must not exist yet
  --speed X          pace for network targets: X times real time (default 1)
  --device NAME      OpenIGTLink device name (default LeadTip; the procedure's igtlDevice)
  --register         ws:// only: first post the procedure's registration from the twin's landmarks,
                     touched with 1 mm noise in the simulated EAM frame
  --feed KIND        eam | fluoro-single | fluoro-biplane (default: the scenario's)
  --rate HZ          samples per second (default 100 for EAM, 15 for fluoro; 1–100: low-dose
                     pulsed fluoroscopy runs at 3.75–4 frames/s)
  --seed N           seed for noise, dropouts and heart/breathing rates (default 1)
  --duration S       stop after S seconds (required for the endless 'loop' scenario)
  --truth FILE       also write the ground truth of every sample, one JSON object per line
  --noise MM         measurement noise, standard deviation per axis (default 0.6, ≈1 mm RMS)
  --dropouts F       fraction of samples lost at random (default 0.02)
  --cardiac-mm MM    cardiac motion, peak-to-peak at the base (default 8)
  --respiratory-mm MM  respiratory motion, peak-to-peak (default 5)
  --signals          the lab's ECG R waves and respiratory amplitude too, from the same heart and
                     breath (ws:// as rwave/respiration messages, igtl:// as SENSOR from
                     <device>-ECG and <device>-RESP, and in a recording)
  --wall-contact F   the tip rests on the vein wall, off the centreline by F (0-1) of the vein's
                     radius less the lead's (the ground truth is where it rests; default: on the
                     centreline)
  --lead MODEL       the lead (default generic-quadripolar, as the server's procedures; 'none': the
                     tip alone): its electrodes decide the ground truth's zone state as they decide
                     the guidance's. A recording carries the lead and the ground truth.
  --electrodes MM,…  a custom lead: electrode offsets from the tip, distal first (e.g. 0,21,31,47)
  -h, --help         this help`,
  async run(args, io) {
    const { help, values } = parseCommandArgs(
      this,
      args,
      { twin: { type: 'string' }, scenario: { type: 'string' }, to: { type: 'string' }, feed: { type: 'string' }, rate: { type: 'string' }, seed: { type: 'string' }, duration: { type: 'string' }, truth: { type: 'string' }, speed: { type: 'string' }, device: { type: 'string' }, register: { type: 'boolean' }, noise: { type: 'string' }, dropouts: { type: 'string' }, 'cardiac-mm': { type: 'string' }, 'respiratory-mm': { type: 'string' }, 'wall-contact': { type: 'string' }, lead: { type: 'string' }, electrodes: { type: 'string' }, signals: { type: 'boolean' } },
      { min: 0, max: 0 },
    );
    if (help) { io.out(this.help); return EXIT_OK; }
    const need = (v: string | undefined, name: string): string => {
      if (!v) throw new TwinguideError('TG_ERR_USAGE', `${name} is required\nSee: twinguide simulate --help`);
      return v;
    };
    const to = need(values.to, '--to');
    const network = /^(ws|wss|igtl):\/\//.test(to);
    if (!network && !to.endsWith('.mcap')) throw new TwinguideError('TG_ERR_USAGE', '--to is ws://…/ws/feed?procedure=ID, igtl://HOST:PORT or a *.mcap file');
    const scenario = need(values.scenario, '--scenario') as ScenarioName;
    if (!SCENARIO_NAMES.includes(scenario)) throw new TwinguideError('TG_ERR_USAGE', `unknown scenario '${scenario}'; one of: ${SCENARIO_NAMES.join(', ')}`);
    const feed = (values.feed ?? undefined) as FeedKind | undefined;
    if (feed && !['eam', 'fluoro-single', 'fluoro-biplane'].includes(feed)) throw new TwinguideError('TG_ERR_USAGE', '--feed is eam, fluoro-single or fluoro-biplane');
    const number = (v: string | undefined, name: string, lo: number, hi: number): number | undefined => {
      if (v === undefined) return undefined;
      const x = Number(v);
      if (!Number.isFinite(x) || x < lo || x > hi) throw new TwinguideError('TG_ERR_USAGE', `${name} must be a number from ${lo} to ${hi}`);
      return x;
    };
    const rate = number(values.rate, '--rate', 1, 100);
    const seed = number(values.seed, '--seed', 0, 2 ** 31) ?? 1;
    const duration = number(values.duration, '--duration', 0.1, 24 * 3600);
    const pace = number(values.speed, '--speed', 0.01, 1000) ?? 1;
    const noiseMm = number(values.noise, '--noise', 0, 20);
    const dropoutFraction = number(values.dropouts, '--dropouts', 0, 0.9);
    const cardiacMm = number(values['cardiac-mm'], '--cardiac-mm', 0, 30);
    const respiratoryMm = number(values['respiratory-mm'], '--respiratory-mm', 0, 30);
    const wallShare = number(values['wall-contact'], '--wall-contact', 0, 1);
    let lead: LeadInfo | null;
    try {
      if (values.electrodes !== undefined) lead = resolveLead({ model: 'custom', electrodeOffsetsMm: values.electrodes.split(',').map(Number) });
      else lead = values.lead === 'none' ? null : resolveLead(values.lead ? { model: values.lead } : undefined);
    } catch (e) {
      throw new TwinguideError('TG_ERR_USAGE', `${(e as Error).message}\nSee: twinguide simulate --help`);
    }
    const twin = await loadTwinFile(need(values.twin, '--twin'));
    try {
      const plan = scenarioPlan(twin, scenario);
      if (plan.loop && duration === undefined && !network) throw new TwinguideError('TG_ERR_USAGE', `scenario '${scenario}' runs forever: give --duration`);
      const kind = feed ?? plan.feed;
      if (to.startsWith('igtl://') && kind !== 'eam') throw new TwinguideError('TG_ERR_USAGE', 'OpenIGTLink carries EAM positions; fluoro detections go to ws:// or a recording');
      const device = defaultDeviceOptions(kind, {
        seed,
        ...(rate !== undefined ? { rateHz: rate } : {}),
        ...(duration !== undefined ? { durationS: duration } : {}),
        ...(noiseMm !== undefined ? { noiseMm } : {}),
        ...(dropoutFraction !== undefined ? { dropoutFraction } : {}),
      });
      if (lead) device.lead = lead;
      if (cardiacMm !== undefined) device.motion = { ...device.motion, cardiacMm };
      if (respiratoryMm !== undefined) device.motion = { ...device.motion, respiratoryMm };
      // The lead's own radius where it has one (a custom lead without a diameter, or none: 5 F).
      if (wallShare !== undefined) device.wallContact = { ...WALL_CONTACT, share: wallShare, ...(lead ? { leadRadiusMm: lead.bodyDiameterMm / 2 } : {}) };
      if (values.signals) device.signals = { ecg: true, respiration: true };
      if (kind !== 'eam') {
        const v = twin.veins;
        const c = [0, 0, 0];
        for (let i = 0; i < v.nodeCount; i++) for (let k = 0; k < 3; k++) c[k]! += v.positionsMm[3 * i + k]! / v.nodeCount;
        device.twinToSource = rigidMatrix([0, 0, 1], 0, [-c[0]!, -c[1]!, -c[2]!]);
      }
      const registration = kind === 'eam' ? simulateLandmarkRegistration(twin, device.twinToSource, 0.58, seed) : { state: 'landmarks' as const, matrix: invertRigid(device.twinToSource), rmsMm: 0 };
      if (network) {
        if (values.register) await registerOverRest(to, twin, device.twinToSource, seed, io);
        return await sendLive(to, simulateDevice(twin, plan, device), { pace, device: values.device ?? 'LeadTip', truth: values.truth, io, signals: values.signals ? physioStream(twin, device) : null });
      }
      const arrivals: number[] = [];
      const samples = [...simulateDevice(twin, plan, device)];
      const signals = values.signals ? simulatePhysio(twin, device, (samples[samples.length - 1]?.arrivalS ?? 0) + 1) : [];
      const { inputs, truths } = inputsFromSamples(samples, registration, true, signals, lead);
      for (const s of samples) arrivals[s.sample.seq] = s.arrivalS;
      const procedureId = `sim-${scenario}-${seed}`;
      const recorder = new ProcedureRecorder(to, { procedureId, twinId: twin.meta.id, source: kind === 'eam' ? 'eam' : 'fluoro', startedAt: new Date(0).toISOString(), twinguideVersion: packageVersion() }, { flushEveryMs: 0, maxBytes: 2 * 1024 ** 3 });
      let lastArrival = 0;
      for (const input of inputs) {
        if (input.kind === 'sample') lastArrival = arrivals[input.sample.seq] ?? lastArrival;
        else if (input.kind === 'tick' || input.kind === 'closed') lastArrival = input.t;
        recorder.input(input, BigInt(Math.round(lastArrival * 1e9)));
      }
      const messages = await lastValueFrom(
        from(inputs).pipe(
          guidancePipeline(twin, { procedureId }),
          tap((m) => recorder.output(m, BigInt(Math.round(('t' in m && typeof m.t === 'number' ? m.t : lastArrival) * 1e9)))),
          toArray(),
        ),
      );
      // The ground truth beside the guidance, so the recording can be scored (bench accuracy --recording, report).
      for (const truth of truths.values()) recorder.truth(truth, BigInt(Math.round((arrivals[truth.seq] ?? truth.t) * 1e9)));
      recorder.close();
      if (values.truth) {
        const out = createWriteStream(values.truth);
        for (const truth of truths.values()) out.write(`${JSON.stringify(truth)}\n`);
        await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
      }
      const guidance = messages.filter((m) => m.type === 'guidance').length;
      io.out(`wrote ${to}: ${scenario} on ${twin.meta.id} (${kind}), ${samples.length} samples over ${(samples[samples.length - 1]?.sample.t ?? 0).toFixed(1)} s, ${guidance} guidance messages, ${(recorder.bytes / 1024).toFixed(0)} KiB`);
      return EXIT_OK;
    } finally {
      await twin.close();
    }
  },
};
