// A twin's responder-probability model: an ONNX graph (features [N, F] float32 → p) run by
// onnxruntime-node on the CPU, one session per twin. On load it must reproduce the stored p at
// every site, so the live pipeline can trust it between sites.

import * as ort from 'onnxruntime-node';
import { TwinguideError, type Limits, type ModelJson } from '../../protocol/index.ts';
import type { SiteTable } from './site-table.ts';

export interface ModelCheck {
  readonly sites: number;
  readonly maxAbsError: number;
  readonly worstSite: string | null;
}

export class ResponseModel {
  readonly featureNames: readonly string[];
  readonly threshold: number;
  readonly card: ModelJson['card'];
  readonly inputName: string;
  readonly outputName: string;
  readonly modelBytes: number;
  private session: ort.InferenceSession | null;

  private constructor(json: ModelJson, session: ort.InferenceSession, modelBytes: number) {
    this.featureNames = json.featureNames;
    this.threshold = json.threshold;
    this.card = json.card;
    this.inputName = json.inputName;
    this.outputName = json.outputName;
    this.modelBytes = modelBytes;
    this.session = session;
  }

  static async load(json: ModelJson, limits: Limits): Promise<ResponseModel> {
    // base64 is 4 chars per 3 bytes: refuse oversized models before decoding them.
    if ((json.onnxBase64.length * 3) / 4 > limits.maxModelBytes + 3) {
      throw new TwinguideError('TG_ERR_TWIN_LIMIT', `the model exceeds the ${limits.maxModelBytes}-byte limit`, { path: '/model/onnxBase64' });
    }
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(json.onnxBase64)) {
      throw new TwinguideError('TG_ERR_TWIN_MODEL_LOAD', 'model.onnxBase64 is not base64', { path: '/model/onnxBase64' });
    }
    const bytes = Buffer.from(json.onnxBase64, 'base64');
    let session: ort.InferenceSession;
    try {
      // One thread: per-sample evaluation is tiny, and a fixed thread count keeps results reproducible.
      session = await ort.InferenceSession.create(bytes, {
        executionProviders: ['cpu'],
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        logSeverityLevel: 3,
      });
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
      throw new TwinguideError('TG_ERR_TWIN_MODEL_LOAD', `the ONNX model does not load: ${reason}`, { path: '/model/onnxBase64', cause });
    }
    if (!session.inputNames.includes(json.inputName) || !session.outputNames.includes(json.outputName)) {
      const found = `inputs [${session.inputNames.join(', ')}], outputs [${session.outputNames.join(', ')}]`;
      await session.release();
      throw new TwinguideError('TG_ERR_TWIN_MODEL_LOAD', `the ONNX model has ${found}; the bundle names input '${json.inputName}' and output '${json.outputName}'`, { path: '/model' });
    }
    return new ResponseModel(json, session, bytes.byteLength);
  }

  /** p for `count` feature rows (row-major float32). One call, one tensor. */
  async evaluate(features: Float32Array, count: number): Promise<Float32Array> {
    if (!this.session) throw new Error('response model used after close()');
    const featureCount = this.featureNames.length;
    const input = new ort.Tensor('float32', features.subarray(0, count * featureCount), [count, featureCount]);
    let out: ort.Tensor | undefined;
    try {
      const result = await this.session.run({ [this.inputName]: input });
      out = result[this.outputName];
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
      throw new TwinguideError('TG_ERR_TWIN_MODEL_LOAD', `the ONNX model does not accept [N, ${featureCount}] float32 features: ${reason}`, { path: '/model', cause });
    }
    if (!out || out.type !== 'float32' || out.data.length !== count) {
      throw new TwinguideError('TG_ERR_TWIN_MODEL_LOAD', `the ONNX model must output one float32 p per row; got ${out ? `${out.type} [${out.dims.join(', ')}]` : 'nothing'}`, {
        path: '/model',
      });
    }
    return out.data as Float32Array;
  }

  /**
   * A runner for one feature row at a time, for the live pipeline: write `features`, await run().
   * One input tensor over one buffer, created once; no per-call allocation beyond ORT's output.
   */
  singleRow(): { features: Float32Array; run: () => Promise<number> } {
    const features = new Float32Array(this.featureNames.length);
    const tensor = new ort.Tensor('float32', features, [1, features.length]);
    const feeds = { [this.inputName]: tensor };
    return {
      features,
      run: async () => {
        if (!this.session) throw new Error('response model used after close()');
        const result = await this.session.run(feeds);
        return (result[this.outputName]!.data as Float32Array)[0]!;
      },
    };
  }

  /** Run the model at every site; refuse the twin when any output differs from the stored p. */
  async checkAgainstSites(sites: SiteTable, tolerance: number): Promise<ModelCheck> {
    if (sites.count === 0) return { sites: 0, maxAbsError: 0, worstSite: null };
    const out = await this.evaluate(sites.features, sites.count);
    let maxAbsError = 0;
    let worst = 0;
    for (let i = 0; i < sites.count; i++) {
      const err = Math.abs(out[i]! - sites.p[i]!);
      if (!(err <= maxAbsError)) { maxAbsError = err; worst = i; }
    }
    const check = { sites: sites.count, maxAbsError, worstSite: sites.ids[worst]! };
    if (!(maxAbsError <= tolerance)) {
      throw new TwinguideError(
        'TG_ERR_TWIN_MODEL_MISMATCH',
        `the model gives p = ${out[worst]!.toFixed(6)} at site '${check.worstSite}', which stores p = ${sites.p[worst]!.toFixed(6)} (|Δ| = ${maxAbsError.toExponential(2)} > ${tolerance})`,
        { path: `/sites/${worst}/p` },
      );
    }
    return check;
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = null;
    if (session) await session.release();
  }
}
