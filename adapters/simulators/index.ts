/**
 * Device simulators: deterministic traffic (same seed, same events, same expected ERP updates) for
 * demos, load and the "exactly these updates and nothing else" tests. `runScenario` wires a scenario to
 * its reference adapter on any ReadingSink (a connected AdapterClient, or a test double).
 */
import { barcodeAdapter, type ScannerEvent } from '../barcode';
import { robotFleetAdapter, type FleetMessage } from '../robot-fleet';
import type { ReadingSink } from '@logistics-bridge/adapter-sdk';
import { sorterAdapter } from '../sorter';
import { barcodeScenario, type BarcodeScenarioOptions } from './barcode';
import { play, type PlayOptions, type Scenario } from './common';
import { robotFleetScenario, type RobotScenarioOptions } from './robot-fleet';
import { sorterScenario, type SorterScenarioOptions } from './sorter';

export { barcodeScenario, robotFleetScenario, sorterScenario, play };
export type { BarcodeScenarioOptions, RobotScenarioOptions, SorterScenarioOptions, Scenario, PlayOptions };
export { seededRandom, sscc, gtin13, type ExpectedUpdate } from './common';

export type AnyScenario = { kind: 'barcode'; scenario: Scenario<ScannerEvent> } | { kind: 'sorter'; scenario: Scenario<string> } | { kind: 'robot_fleet'; scenario: Scenario<FleetMessage> };

/** The warehouse code the scenarios' heartbeats carry (the adapters are built with it). */
export const SIM_WAREHOUSE = 'WH';

/** Plays a scenario through its reference adapter into `sink`; the caller flushes the client afterwards. */
export async function runScenario(s: AnyScenario, sink: ReadingSink, options: PlayOptions = {}): Promise<void> {
  switch (s.kind) {
    case 'barcode': {
      const adapter = barcodeAdapter(sink, SIM_WAREHOUSE);
      return play(s.scenario, (e) => adapter.handle(e), options);
    }
    case 'sorter': {
      const adapter = sorterAdapter(sink, s.scenario.deviceIds[0] ?? 'sorter-1', SIM_WAREHOUSE);
      return play(s.scenario, (e) => adapter.handle(e), options);
    }
    case 'robot_fleet': {
      const adapter = robotFleetAdapter(sink, s.scenario.deviceIds[0] ?? 'fleet-1');
      return play(s.scenario, (e) => adapter.handle(e), options);
    }
  }
}
export { parseWork, planJob, planBarcode, planSorter, planRobot, parcelSscc, productRef, pickingKey, workIdOf, type Job, type Task, type Plan, type PlanContext, type SimUpdate } from './work';
export { followWork, Floor, WORK_CAPABILITIES, type FollowOptions, type FollowStats, type WorkClient } from './follow';
export { DEFAULT_ADAPTERS, disconnectLine, familiesOf } from './defaults';
