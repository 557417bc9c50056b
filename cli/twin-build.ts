// `twinguide twin build`: a complete twin from heart surfaces (see simulators/twin/build-twin.ts).

import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { TwinguideError } from '../protocol/index.ts';
import { buildTwin } from '../server/twin/load-twin.ts';
import { buildTwinFromSurfaces, defaultTwinId, readHeartSurfaces, serialiseTwin } from '../simulators/twin/build-twin.ts';
import { parseCentrelineFile, type CentrelineFile } from '../simulators/twin/real-vein-tree.ts';
import { EXIT_OK, parseCommandArgs, type Command } from './command.ts';

export const twinBuild: Command = {
  name: 'twin build',
  summary: 'build a twin from heart surfaces (JSON, STL or VTK): veins, activation, sites, model',
  help: `Usage: twinguide twin build --surfaces DIR --seed N --out FILE [options]

Builds a complete twin bundle from biventricular surfaces: finds the long axis, base, apex and
septum from the geometry, synthesises a coronary-sinus vein tree on the epicardium, an LBBB-like
activation map (optional scar), UVC/AHA labels, pacing sites every ~5 mm with features and
accessibility, an illustrative logistic model exported to ONNX, and p at each site. The result is
checked like any loaded twin before it is written. Same inputs and seed → byte-identical file.

DIR holds epi.{json,stl,vtk} (required), lv_endo.* and rv_endo.* (optional; they make the axes
and the septum more reliable). JSON surfaces are {"vertices": [...], "triangles": [...]} in mm;
STL (ASCII or binary) and legacy VTK polydata are read as 3D Slicer writes them.

Options:
  --surfaces DIR            directory with the surfaces (required)
  --seed N                  seed for per-patient variation of the vein tree (required)
  --out FILE                where to write the *.twin.json (required)
  --scar SEGMENTS           AHA segments with scar, e.g. 4,5,6,10,11 (slow conduction, lower p)
  --lead-diameter MM        LV lead diameter (default 1.7, a 5F lead)
  --lateral-vein-scale X    calibre factor for posterior/lateral veins (default 1; 0.5 = narrow)
  --veins FILE              fit this real centreline tree (the shared centreline JSON form, e.g.
                            data/anatomy/bodyparts3d-coronary-veins/veins_centerline.json) onto
                            the epicardium instead of synthesising one; its licence carries over
  --id ID                   meta.id (default: directory name and seed)
  --label TEXT              meta.label
  --created ISO             meta.created (default SOURCE_DATE_EPOCH, else 1970-01-01)
  --quiet                   no progress lines
  -h, --help                this help`,
  async run(args, io) {
    const { help, values } = parseCommandArgs(
      this,
      args,
      {
        surfaces: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        scar: { type: 'string' },
        'lead-diameter': { type: 'string' },
        'lateral-vein-scale': { type: 'string' },
        veins: { type: 'string' },
        id: { type: 'string' },
        label: { type: 'string' },
        created: { type: 'string' },
        quiet: { type: 'boolean' },
      },
      { min: 0, max: 0 },
    );
    if (help) { io.out(this.help); return EXIT_OK; }
    const dir = required(values.surfaces, '--surfaces');
    const out = required(values.out, '--out');
    const seed = integer(required(values.seed, '--seed'), '--seed');
    const scarSegments = values.scar ? values.scar.split(',').map((s) => integer(s.trim(), '--scar')) : [];
    const leadDiameterMm = values['lead-diameter'] ? positive(values['lead-diameter'], '--lead-diameter') : undefined;
    const lateralVeinScale = values['lateral-vein-scale'] ? positive(values['lateral-vein-scale'], '--lateral-vein-scale') : undefined;
    if (values.created !== undefined && Number.isNaN(Date.parse(values.created))) throw new TwinguideError('TG_ERR_USAGE', '--created must be an ISO 8601 date-time');

    const started = performance.now();
    let stepStarted = started;
    const progress = values.quiet
      ? undefined
      : (step: string, index: number, total: number): void => {
          const now = performance.now();
          io.err(`[${index}/${total}] ${step}…${index > 1 ? ` (previous step ${(now - stepStarted).toFixed(0)} ms)` : ''}`);
          stepStarted = now;
        };
    if (!values.quiet) io.err(`reading surfaces from ${dir}`);
    const surfaces = readHeartSurfaces(dir);
    let veins: { file: CentrelineFile; source: string } | undefined;
    if (values.veins !== undefined) {
      let text: string;
      try {
        text = readFileSync(values.veins, 'utf8');
      } catch (cause) {
        throw new TwinguideError('TG_ERR_SURFACE', `cannot read --veins ${values.veins}: ${(cause as Error).message}`, { cause });
      }
      veins = { file: parseCentrelineFile(text, values.veins), source: basename(values.veins) };
    }
    const { bundle } = buildTwinFromSurfaces(surfaces, {
      seed,
      scarSegments,
      ...(leadDiameterMm !== undefined ? { leadDiameterMm } : {}),
      ...(lateralVeinScale !== undefined ? { lateralVeinScale } : {}),
      ...(veins ? { veins } : {}),
      id: values.id ?? defaultTwinId(dir, seed),
      ...(values.label !== undefined ? { label: values.label } : {}),
      ...(values.created !== undefined ? { created: new Date(values.created).toISOString() } : {}),
      source: `twinguide twin build --seed ${seed}${scarSegments.length ? ` --scar ${scarSegments.join(',')}` : ''}${veins ? ` --veins ${veins.source}` : ''} from the surfaces in ${dir}`,
      ...(progress ? { progress } : {}),
    });
    if (!values.quiet) io.err('checking the twin as the server will load it…');
    const twin = await buildTwin(bundle);
    await twin.close();
    const text = serialiseTwin(bundle);
    writeFileSync(out, text);
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    io.out(
      `wrote ${out}: twin ${bundle.meta.id}, ${twin.veins.branches.length} branches (${twin.veins.totalLengthMm.toFixed(0)} mm), ${twin.sites.count} sites, ` +
        `${twin.zones.length === 0 ? 'NO accessible responder site' : `${twin.zones.length} target zone(s)`}, ${(text.length / 1024).toFixed(0)} KiB, ${seconds} s`,
    );
    return EXIT_OK;
  },
};

function required(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new TwinguideError('TG_ERR_USAGE', `${name} is required\nSee: twinguide twin build --help`);
  return value;
}

function integer(text: string, name: string): number {
  const v = Number(text);
  if (!Number.isSafeInteger(v) || v < 0) throw new TwinguideError('TG_ERR_USAGE', `${name} takes a non-negative integer, got '${text}'`);
  return v;
}

function positive(text: string, name: string): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0) throw new TwinguideError('TG_ERR_USAGE', `${name} takes a positive number, got '${text}'`);
  return v;
}
