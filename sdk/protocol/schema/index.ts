export { array, bool, bytes, float64, int16, int32, int64, int8, records, string, struct, types, uint16, uuid, versions, inRange, ZERO_UUID } from './dsl';
export type { Field, Fields, InOf, OutOf, Range } from './dsl';
export { Message, message } from './message';
export type { In, Out } from './message';
