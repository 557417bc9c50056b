// `twinguide twin build`: a complete twin from heart surfaces (see simulators/twin/build-twin.ts).

import { writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { CentrelineFile } from '../simulators/twin/real-vein-tree.ts';
import { TwinguideError } from '../protocol/index.ts';
import { buildTwin } from '../server/twin/load-twin.ts';
import { buildTwinFromSurfaces, defaultTwinId, findSurfaceFiles, readHeart, serialiseTwin } from '../simulators/twin/build-twin.ts';
import { readCentrelines } from '../simulators/twin/centreline-files.ts';
import { readLandmarkFile } from '../simulators/twin/landmark-file.ts';
import type { PatientFrame, Units } from '../simulators/twin/surface-files.ts';
import { ACTIVATION_LIMITS, readVertexField, RESPONSE_LIMITS } from '../simulators/twin/vertex-fields.ts';
import { EXIT_OK, parseCommandArgs, type Command } from './command.ts';

export const twinBuild: Command = {
  name: 'twin build',
  summary: 'build a twin from heart surfaces (JSON, STL, VTK, VTP, OBJ, PLY): veins, activation, sites, model',
  help: `Usage: twinguide twin build (--surfaces DIR | --epi FILE [--lv-endo FILE] [--rv-endo FILE]) --seed N --out FILE [options]

Builds a complete twin bundle from heart surfaces, biventricular or LV only: finds the long axis,
base, apex and septum from the geometry, places a coronary-sinus vein tree on the epicardium
(synthesised, or your centrelines), an activation map (LBBB-like, or your simulation's), UVC/AHA
labels, pacing sites every ~5 mm with features and accessibility, and p at each site (an
illustrative logistic model exported to ONNX, or your response field). The result is checked
like any loaded twin before it is written. Same inputs and seed → byte-identical file.

Surfaces: DIR holds epi.* (required), lv_endo.* and rv_endo.* (optional), each .json, .stl, .vtk,
.vtp, .obj or .ply. JSON surfaces are {"vertices": [...], "triangles": [...]}; STL (ASCII or
binary), legacy VTK and VTK XML PolyData (ascii, binary, appended raw or zlib-compressed), OBJ and
PLY (ASCII or binary) are read as VTK, pyvista, 3D Slicer and Meshlab write them. Slicer's
SPACE=RAS|LPS (a header comment, or field data in VTK files) is honoured; --frame says it for
files without one. Triangle soups are welded.

Orientation (said in meta.builder and by twin info): the septum from the RV endocardium, else the
RV's bulk on a biventricular epicardium, else the valve rims of an LV-only surface (the aortic rim
lies anterior and septal of the mitral), else the patient frame (LPS: the RV to the right and
anterior of the LV). --septum or a landmarks file overrides them all.

Options:
  --surfaces DIR            directory with the surfaces
  --epi FILE, --lv-endo FILE, --rv-endo FILE
                            the surfaces one by one (instead of --surfaces)
  --units mm|m              length unit of the files (default mm)
  --frame LPS|RAS           frame of files that do not say (default LPS)
  --septum X,Y,Z            a point on the septum or in the RV (file coordinates): the septal side
  --landmarks FILE          cs-ostium, lv-apex and/or septum: JSON ({"landmarks": [{"name",
                            "position"}]} or {"cs-ostium": [x,y,z]}) or a Slicer .mrk.json point list
  --seed N                  seed for per-patient variation of the vein tree (required)
  --out FILE                where to write the *.twin.json (required)
  --scar SEGMENTS           AHA segments with scar, e.g. 4,5,6,10,11 (slow conduction, lower p)
  --lead-diameter MM        LV lead diameter (default 1.7, a 5F lead)
  --lateral-vein-scale X    calibre factor for posterior/lateral veins (default 1; 0.5 = narrow)
  --veins FILE              vein centrelines instead of a synthesised tree: VMTK centrelines (.vtp
                            or .vtk polylines with MaximumInscribedSphereRadius; the lines are
                            merged into one tree at the ostium), 3D Slicer centreline curves
                            (.mrk.json with a Radius measurement; curves in any order and
                            direction: the ostium is the widest free end, or the one nearest a
                            cs-ostium landmark), or the shared JSON tree (e.g.
                            data/anatomy/bodyparts3d-coronary-veins/veins_centerline.json, fitted
                            onto this heart; its licence carries over). Centrelines already on
                            this heart stay where they are, set onto the surface
  --vein-names FILE         {"names": [...]}: a name for each centreline, in the file's order
                            (default: named from where each branch runs)
  --activation FIELD        activation time (ms) per epicardial vertex: a point-data array of the
                            epicardium file, or a file (.json array, .txt/.csv one per line, .vtp)
  --response FIELD          responder probability (0–1) per epicardial vertex, the same ways; p at
                            each site is sampled from it, and the twin carries it for the display
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
        epi: { type: 'string' },
        'lv-endo': { type: 'string' },
        'rv-endo': { type: 'string' },
        units: { type: 'string' },
        frame: { type: 'string' },
        septum: { type: 'string' },
        landmarks: { type: 'string' },
        'vein-names': { type: 'string' },
        activation: { type: 'string' },
        response: { type: 'string' },
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
    if ((values.surfaces === undefined) === (values.epi === undefined)) throw new TwinguideError('TG_ERR_USAGE', 'give --surfaces DIR or --epi FILE (not both)\nSee: twinguide twin build --help');
    const out = required(values.out, '--out');
    const seed = integer(required(values.seed, '--seed'), '--seed');
    const scarSegments = values.scar ? values.scar.split(',').map((s) => integer(s.trim(), '--scar')) : [];
    const leadDiameterMm = values['lead-diameter'] ? positive(values['lead-diameter'], '--lead-diameter') : undefined;
    const lateralVeinScale = values['lateral-vein-scale'] ? positive(values['lateral-vein-scale'], '--lateral-vein-scale') : undefined;
    if (values.created !== undefined && Number.isNaN(Date.parse(values.created))) throw new TwinguideError('TG_ERR_USAGE', '--created must be an ISO 8601 date-time');
    const units = oneOf(values.units ?? 'mm', ['mm', 'm'], '--units') as Units;
    const frame = values.frame === undefined ? undefined : (oneOf(values.frame.toUpperCase(), ['LPS', 'RAS'], '--frame') as PatientFrame);
    const septumInFile = values.septum === undefined ? undefined : point(values.septum, '--septum');
    const files = values.surfaces !== undefined
      ? findSurfaceFiles(values.surfaces)
      : { epi: values.epi!, ...(values['lv-endo'] ? { lvEndo: values['lv-endo'] } : {}), ...(values['rv-endo'] ? { rvEndo: values['rv-endo'] } : {}) };
    const dir = values.surfaces ?? dirname(files.epi);
    const readOptions = { units, ...(frame ? { frame } : {}) };
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
    const heart = readHeart(files, readOptions);
    // --septum is in the epicardium file's coordinates: into mm and LPS as the surfaces were.
    const flip = heart.epiFile.frame === 'RAS' ? -1 : 1, mm = units === 'm' ? 1000 : 1;
    const septum = septumInFile ? ([septumInFile[0] * mm * flip, septumInFile[1] * mm * flip, septumInFile[2] * mm] as [number, number, number]) : undefined;
    const landmarks = values.landmarks !== undefined ? readLandmarkFile(values.landmarks, readOptions) : undefined;
    if (landmarks && landmarks.ignored.length > 0 && !values.quiet) io.err(`--landmarks: ignoring ${landmarks.ignored.join(', ')} (known: cs-ostium, lv-apex, septum)`);
    let veins: { file: CentrelineFile; source: string; format: string; sameFrame: boolean; ostium?: string } | undefined;
    if (values.veins !== undefined) {
      // (The cs-ostium landmark also says which end of split centreline curves is the ostium.)
      const ostiumLandmark = landmarks?.landmarks.csOstium;
      const input = readCentrelines(values.veins, { ...readOptions, ...(values['vein-names'] ? { namesFile: values['vein-names'] } : {}), ...(ostiumLandmark ? { ostiumLandmark } : {}) });
      veins = { file: input.tree, source: basename(values.veins), format: input.format, sameFrame: input.sameFrame, ...(input.ostium ? { ostium: input.ostium } : {}) };
    }
    const activation = values.activation !== undefined ? readVertexField(values.activation, heart.epiFile, files.epi, ACTIVATION_LIMITS) : undefined;
    const response = values.response !== undefined ? readVertexField(values.response, heart.epiFile, files.epi, RESPONSE_LIMITS) : undefined;
    const { bundle } = buildTwinFromSurfaces(heart.surfaces, {
      seed,
      scarSegments,
      ...(leadDiameterMm !== undefined ? { leadDiameterMm } : {}),
      ...(lateralVeinScale !== undefined ? { lateralVeinScale } : {}),
      ...(veins ? { veins } : {}),
      ...(septum ? { septum } : {}),
      ...(landmarks ? { landmarks: landmarks.landmarks } : {}),
      ...(activation ? { activation } : {}),
      ...(response ? { response } : {}),
      input: { units, files: Object.fromEntries(Object.entries(files).map(([k, f]) => [k, basename(f)])), frames: heart.frames },
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

function oneOf(text: string, allowed: string[], name: string): string {
  if (!allowed.includes(text)) throw new TwinguideError('TG_ERR_USAGE', `${name} takes ${allowed.join(' or ')}, got '${text}'`);
  return text;
}

function point(text: string, name: string): [number, number, number] {
  const v = text.split(',').map((x) => Number(x.trim()));
  if (v.length !== 3 || !v.every((x) => Number.isFinite(x) && Math.abs(x) <= 5000)) throw new TwinguideError('TG_ERR_USAGE', `${name} takes X,Y,Z in mm, got '${text}'`);
  return v as [number, number, number];
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
