/**
 * Compatibility levels on top of the formats' one question ("can this reader read that
 * writer's data?"): BACKWARD (the new schema reads data written with the latest), FORWARD (the
 * latest reads the new schema's data), FULL (both), their TRANSITIVE forms (against every live
 * version, not only the latest), NONE. The answer lists the problems of the newest incompatible
 * version, followed by `{oldSchemaVersion: N}`, `{oldSchema: '...'}`, `{compatibility: 'LEVEL'}`,
 * as Confluent's registry words them.
 */
import { formatOf, type ParsedSchema } from './formats';
import type { CompatibilityLevel } from './types';

export interface PreviousSchema {
  version: number;
  schema: string;
  parsed: ParsedSchema;
}

/** Problems of registering `candidate` after `previous` (oldest first) under `level`; empty when compatible. */
export function compatibilityProblems(level: CompatibilityLevel, candidate: ParsedSchema, previous: PreviousSchema[]): string[] {
  if (level === 'NONE' || !previous.length) return [];
  const against = level.endsWith('_TRANSITIVE') ? [...previous].reverse() : [previous[previous.length - 1]];
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  for (const old of against) {
    const problems: string[] = [];
    if (old.parsed.schemaType !== candidate.schemaType) {
      problems.push(`{errorType:'TYPE_MISMATCH', description:'Incompatible because of different schema type', additionalInfo:'${old.parsed.schemaType} vs ${candidate.schemaType}'}`);
    } else {
      const format = formatOf(candidate.schemaType);
      if (backward) problems.push(...format.incompatibilities(candidate, old.parsed));
      if (forward) problems.push(...format.incompatibilities(old.parsed, candidate));
    }
    if (problems.length) return [...new Set(problems), `{oldSchemaVersion: ${old.version}}`, `{oldSchema: '${old.schema}'}`, `{compatibility: '${level}'}`];
  }
  return [];
}
