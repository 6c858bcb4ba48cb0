import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { loadServices, tolerantService } from './proto';
import type { Family } from './schemas';
import { StreamSession, type DuplexCall, type GatewayContext } from './session';

/**
 * One small class per gRPC service (as grpc-health-check does): it owns the service definition and
 * hands every `Connect` call to a StreamSession of its family.
 */
abstract class FamilyGatewayService {
  abstract readonly family: Family;
  private readonly live = new Set<StreamSession>();

  constructor(private readonly ctx: GatewayContext) {}

  get definition(): ServiceDefinition {
    return tolerantService(loadServices()[this.family]);
  }

  implementation(): UntypedServiceImplementation {
    return {
      Connect: (call: DuplexCall) => {
        const session = new StreamSession(this.family, call, this.ctx);
        this.live.add(session);
        call.once('close', () => this.live.delete(session));
        call.once('cancelled', () => this.live.delete(session));
        session.start();
      },
    };
  }

  get sessions(): ReadonlySet<StreamSession> {
    return this.live;
  }
}

export class BarcodeGatewayService extends FamilyGatewayService {
  readonly family = 'barcode' as const;
}

export class SorterGatewayService extends FamilyGatewayService {
  readonly family = 'sorter' as const;
}

export class RobotFleetGatewayService extends FamilyGatewayService {
  readonly family = 'robot_fleet' as const;
}

export type AnyGatewayService = BarcodeGatewayService | SorterGatewayService | RobotFleetGatewayService;
