// A loaded, checked twin: everything the live pipeline and the displays need, as typed arrays.

import type { Acquisition, GuidanceDefaults } from '../../protocol/index.ts';
import type { CentrelineIndex } from './centreline-index.ts';
import type { Landmark } from './landmarks.ts';
import type { ModelCheck, ResponseModel } from './response-model.ts';
import type { ResponseMap } from './response-map.ts';
import type { SiteTable } from './site-table.ts';
import type { EpiSurface, SurfaceMesh } from './surface-mesh.ts';
import type { TargetZone } from './target-zones.ts';
import type { VeinTree } from './vein-tree.ts';

export interface TwinMeta {
  readonly id: string;
  readonly label: string;
  readonly created: string;
  readonly source: string;
  /** The phase the twin's images were taken at (absent: end-diastole, end-expiration). */
  readonly acquisition?: Acquisition;
  readonly [extra: string]: unknown;
}

export interface Twin {
  readonly meta: TwinMeta;
  readonly surfaces: { readonly epi: EpiSurface; readonly lvEndo: SurfaceMesh; readonly rvEndo: SurfaceMesh };
  readonly veins: VeinTree;
  readonly centrelines: CentrelineIndex;
  readonly featureNames: readonly string[];
  readonly sites: SiteTable;
  readonly zones: readonly TargetZone[];
  readonly landmarks: readonly Landmark[];
  readonly guidance: GuidanceDefaults;
  /** The twin's ONNX model, when it has one (checked against every site on load). */
  readonly model: ResponseModel | null;
  readonly modelCheck: ModelCheck | null;
  /** The model's p precomputed along the branches (built on load), read synchronously live. */
  readonly responseMap: ResponseMap | null;
  /** Size of the file it came from, bytes (0 when built in memory). */
  readonly fileBytes: number;
  /** Release the model session. */
  close(): Promise<void>;
}
