import type { Execution } from '../../domain/execution.js';
import type { FunctionVersion } from '../../domain/function-spec.js';
import type { Delivery, Rule } from '../store.js';
import { toExecution, toFunctionVersion, type AttemptRow, type ExecutionRow, type FunctionVersionRow } from './execution-rows.js';
import type { JsonReader } from './stored-values.js';
import { toDelivery, toRule, type DeliveryRow, type RuleRow } from './trigger-rows.js';

/** The row → domain mappers of one dialect. */
export interface RowMappers<Json> {
  toExecution(row: ExecutionRow<Json>, attempts: AttemptRow<Json>[]): Execution;
  toFunctionVersion(row: FunctionVersionRow<Json>): FunctionVersion;
  toRule(row: RuleRow<Json>): Rule;
  toDelivery(row: DeliveryRow<Json>): Delivery;
}

/** The shared mappers bound to how a dialect's driver returns json columns; each adapter makes its set once. */
export function rowMappers<Json>(readJson: JsonReader<Json>): RowMappers<Json> {
  return {
    toExecution: (row, attempts) => toExecution(row, attempts, readJson),
    toFunctionVersion: (row) => toFunctionVersion(row, readJson),
    toRule: (row) => toRule(row, readJson),
    toDelivery: (row) => toDelivery(row, readJson),
  };
}
