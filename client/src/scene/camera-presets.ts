// Camera presets that match what the physician sees on the fluoroscopy screen: the standard C-arm
// views, shared with the procedure report's pictures (server/pipeline/carm-views.ts).
export * from '../../../server/pipeline/carm-views.ts';
