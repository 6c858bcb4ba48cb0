import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { loadServices } from '@logistics-bridge/contract';
import { lazyService } from './proto';
import type { Family } from '@logistics-bridge/contract';
import { StreamSession, type DuplexCall, type GatewayContext } from './session';

/**
 * One small class per gRPC service (as grpc-health-check does): it owns the service definition and
 * hands every `Connect` call to a StreamSession of its family.
 */
abstract class FamilyGatewayService {
  abstract readonly family: Family;
  private readonly live = new Set<StreamSession>();
  private lazy: ReturnType<typeof lazyService> | undefined;

  constructor(private readonly ctx: GatewayContext) {}

  private get service(): ReturnType<typeof lazyService> {
    this.lazy ??= lazyService(this.family, loadServices()[this.family]);
    return this.lazy;
  }

  get definition(): ServiceDefinition {
    return this.service.definition;
  }

  implementation(): UntypedServiceImplementation {
    return {
      Connect: (call: DuplexCall) => {
        const session = new StreamSession(this.family, call, this.ctx, this.service.decode);
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
