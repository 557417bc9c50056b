// An illustrative logistic-regression responder model, built in code and exported as ONNX:
//   p = sigmoid(bias + Σ_k weight_k · (x_k − mean_k) / scale_k)
// The graph (Sub → Div → MatMul → Add → Sigmoid) takes features [N, F] float32 and gives p [N, 1].

import { ProtobufWriter } from './protobuf-writer.ts';

export interface LogisticModelSpec {
  featureNames: readonly string[];
  mean: readonly number[];
  scale: readonly number[];
  weights: readonly number[];
  bias: number;
  /** Free text stored in the ONNX doc_string. */
  doc: string;
}

export const LOGISTIC_INPUT = 'features';
export const LOGISTIC_OUTPUT = 'p';

const FLOAT = 1; // TensorProto.DataType.FLOAT
const IR_VERSION = 8;
const OPSET = 13;

function floatTensor(w: ProtobufWriter, name: string, dims: readonly number[], values: readonly number[]): void {
  for (const d of dims) w.int(1, d);
  w.int(2, FLOAT);
  w.string(8, name);
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  w.bytes(9, raw);
}

function valueInfo(w: ProtobufWriter, name: string, dims: readonly (number | string)[]): void {
  w.string(1, name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, FLOAT);
      tensor.message(2, (shape) => {
        for (const d of dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

function node(w: ProtobufWriter, op: string, inputs: readonly string[], output: string): void {
  for (const i of inputs) w.string(1, i);
  w.string(2, output);
  w.string(3, `${op.toLowerCase()}_${output}`);
  w.string(4, op);
}

export function buildLogisticOnnx(spec: LogisticModelSpec): Uint8Array {
  const f = spec.featureNames.length;
  for (const [name, arr] of [['mean', spec.mean], ['scale', spec.scale], ['weights', spec.weights]] as const) {
    if (arr.length !== f) throw new RangeError(`${name} has ${arr.length} values for ${f} features`);
  }
  if (spec.scale.some((s) => !(s > 0))) throw new RangeError('every scale must be > 0');
  return new ProtobufWriter()
    .int(1, IR_VERSION)
    .string(2, 'twinguide')
    .string(3, '1')
    .string(6, spec.doc)
    .message(7, (g) => {
      g.message(1, (n) => node(n, 'Sub', [LOGISTIC_INPUT, 'mean'], 'centred'));
      g.message(1, (n) => node(n, 'Div', ['centred', 'scale'], 'standardised'));
      g.message(1, (n) => node(n, 'MatMul', ['standardised', 'weights'], 'weighted'));
      g.message(1, (n) => node(n, 'Add', ['weighted', 'bias'], 'logit'));
      g.message(1, (n) => node(n, 'Sigmoid', ['logit'], LOGISTIC_OUTPUT));
      g.string(2, 'logistic_response');
      g.message(5, (t) => floatTensor(t, 'mean', [f], spec.mean));
      g.message(5, (t) => floatTensor(t, 'scale', [f], spec.scale));
      g.message(5, (t) => floatTensor(t, 'weights', [f, 1], spec.weights));
      g.message(5, (t) => floatTensor(t, 'bias', [1], [spec.bias]));
      g.message(11, (v) => valueInfo(v, LOGISTIC_INPUT, ['N', f]));
      g.message(12, (v) => valueInfo(v, LOGISTIC_OUTPUT, ['N', 1]));
    })
    .message(8, (o) => o.string(1, '').int(2, OPSET))
    .finish();
}

/** The same model in plain arithmetic (float32 parameters, as the ONNX graph stores them). */
export function logisticP(spec: LogisticModelSpec, features: readonly number[]): number {
  let logit = Math.fround(spec.bias);
  for (let k = 0; k < spec.featureNames.length; k++) {
    const x = Math.fround(features[k]!);
    logit += (Math.fround(spec.weights[k]!) * (x - Math.fround(spec.mean[k]!))) / Math.fround(spec.scale[k]!);
  }
  return 1 / (1 + Math.exp(-logit));
}

/** Feature value x_k that gives exactly `p` when every other feature is as given (for fixtures). */
export function solveFeatureForP(spec: LogisticModelSpec, features: readonly number[], k: number, p: number): number {
  const target = Math.log(p / (1 - p));
  let rest = spec.bias;
  for (let j = 0; j < spec.featureNames.length; j++) {
    if (j !== k) rest += (spec.weights[j]! * (features[j]! - spec.mean[j]!)) / spec.scale[j]!;
  }
  return spec.mean[k]! + ((target - rest) * spec.scale[k]!) / spec.weights[k]!;
}
