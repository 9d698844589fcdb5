// What the NGSI-LD tests check answers with: the Smart Data Models' own JSON Schemas (vendored, unchanged, under
// vendor/smart-data-models) compiled by Ajv for the draft they declare, and JSON-LD expansion by the jsonld package
// with a document loader that knows only the local @context file, so that no context is ever fetched.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import jsonld from 'jsonld';

const root = fileURLToPath(new URL('../../', import.meta.url));
const vendored = (path: string) => JSON.parse(readFileSync(`${root}vendor/smart-data-models/${path}`, 'utf8'));

/** The @context file the API serves. */
export const CONTEXT_FILE = `${root}src/ngsi-ld/context.jsonld`;
export const localContext = () => JSON.parse(readFileSync(CONTEXT_FILE, 'utf8'));

/** Each entity type with a vendored schema → that schema's file. */
export const SCHEMAS: Record<string, string> = {
  AirQualityObserved: 'dataModel.Environment/AirQualityObserved/schema.json',
  NoiseLevelObserved: 'dataModel.Environment/NoiseLevelObserved/schema.json',
  FloodMonitoring: 'dataModel.Environment/FloodMonitoring/schema.json',
  DeviceMeasurement: 'dataModel.Device/DeviceMeasurement/schema.json',
  Vehicle: 'dataModel.Transportation/Vehicle/schema.json',
  Alert: 'dataModel.Alert/Alert/schema.json',
};

/**
 * A validator per entity type. Every vendored schema declares draft 2020-12 or the unversioned
 * `http://json-schema.org/schema#` (the latest draft): Ajv2020 for all. They carry keywords of their own
 * (`$schemaVersion`, `modelTags`), so strict mode is off; formats are checked (ajv-formats).
 */
export function sdmValidators() {
  const ajv = new Ajv2020.default({ strict: false, allErrors: true, validateSchema: false });
  addFormats.default(ajv);
  ajv.addFormat('idn-email', true);
  ajv.addSchema(vendored('data-models/common-schema.json'));
  ajv.addSchema(vendored('fiware-dataModels/common-schema.json'));
  ajv.addSchema(vendored('dataModel.Weather/weather-schema.json'));
  // Cited at addresses other than their copies' $id (vendor/smart-data-models/README.md).
  ajv.addSchema(vendored('dataModel.Environment/Environment-schema.json'), 'https://raw.githubusercontent.com/smart-data-models/dataModel.Environment/master/Environment-schema.json');
  ajv.addSchema(vendored('dataModel.Alert/alert-schema.json'), 'https://smart-data-models.github.io/dataModel.Alert/alert-schema.json');
  const compiled = new Map(Object.entries(SCHEMAS).map(([type, path]) => [type, ajv.compile(vendored(path))]));
  /** The schema's errors for a keyValues entity (empty: valid); throws for a type without a vendored schema. */
  return (entity: { type: string }): string[] => {
    const validate = compiled.get(entity.type);
    if (!validate) throw new Error(`no vendored schema for ${entity.type}`);
    return validate(entity) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
  };
}

/** JSON-LD expansion where the only document that can be loaded is the local @context, named by `contextUrl`. */
export async function expandLocally(doc: object, contextUrl: string): Promise<any[]> {
  const documentLoader = async (url: string) => {
    if (url !== contextUrl) throw new Error(`the test loads no remote document (asked for ${url})`);
    return { contextUrl: undefined, documentUrl: url, document: localContext() };
  };
  return jsonld.expand(doc as jsonld.JsonLdDocument, { documentLoader }) as Promise<any[]>;
}
