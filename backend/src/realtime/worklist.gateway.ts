import { HttpException, Inject, Logger } from '@nestjs/common';
import {
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import { Gauge } from 'prom-client';
import type { Namespace, Socket } from 'socket.io';
import { AuthService, toPrincipal } from '../auth/auth.service.js';
import type { UserPrincipal } from '../common/principal.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import type { WorklistClientToServer, WorklistNamespace, WorklistServerToClient } from '../contracts/worklist.js';
import { MetricsService } from '../health/metrics.service.js';
import { UsersRepository } from '../users/users.repository.js';
import { isAudienceRoom, WorklistAudience } from './worklist-audience.service.js';

export interface WorklistSocketData {
  principal: UserPrincipal;
  /** Rooms decided by the handshake, joined once connected. */
  rooms: string[];
  /** When the access token expires (ms since epoch): the socket is closed then. */
  expiresAt: number;
}

export type WorklistServer = Namespace<WorklistClientToServer, WorklistServerToClient, Record<string, never>, WorklistSocketData>;
type WorklistSocket = Socket<WorklistClientToServer, WorklistServerToClient, Record<string, never>, WorklistSocketData>;

const NAMESPACE: WorklistNamespace = '/worklist';

/** connect_error for the client, with a reason it can act on (refresh the token, sign in again). */
function refused(message: string, code: 'UNAUTHORIZED' | 'UNAVAILABLE' = 'UNAUTHORIZED'): Error {
  return Object.assign(new Error(message), { data: { code } });
}

/** Seconds-since-epoch `exp` of an access token already verified by AuthService. */
function tokenExpiry(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: number };
  return (payload.exp ?? 0) * 1000;
}

/**
 * The live worklist: `io(base + '/worklist', { auth: { token: accessToken } })`.
 * Each socket joins its user's room and the rooms of the cases it may see (WorklistAudience);
 * those are re-evaluated on 'worklist:resubscribe' and every WORKLIST_RESUBSCRIBE_SECONDS, so a
 * lapsed license or privilege stops the flow. When the access token expires the server closes the
 * socket ('io server disconnect'): the client refreshes its token, connects again and refetches.
 */
@WebSocketGateway({
  namespace: NAMESPACE,
  // Authentication is the bearer token in the handshake, never a cookie: any origin may connect.
  cors: { origin: true },
})
export class WorklistGateway implements OnGatewayInit<WorklistServer>, OnGatewayConnection<WorklistSocket>, OnGatewayDisconnect<WorklistSocket> {
  @WebSocketServer() server?: WorklistServer;
  private readonly logger = new Logger(WorklistGateway.name);
  private readonly timers = new Map<string, NodeJS.Timeout[]>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly auth: AuthService,
    private readonly users: UsersRepository,
    private readonly audience: WorklistAudience,
    metrics: MetricsService,
  ) {
    const gateway = this;
    new Gauge({
      name: 'teleread_worklist_sockets',
      help: 'Live worklist sockets connected to this process',
      registers: [metrics.registry],
      collect() {
        this.set(gateway.server?.sockets.size ?? 0);
      },
    });
  }

  afterInit(server: WorklistServer): void {
    server.use((socket, next) => {
      this.authenticate(socket).then(
        () => next(),
        (err: Error) => next(err),
      );
    });
  }

  /** Runs before the client hears 'connect', so rooms are joined before it can trigger a change. */
  private async authenticate(socket: WorklistSocket): Promise<void> {
    if (socket.handshake.query.token !== undefined) {
      // URLs end up in proxy and access logs; the token belongs in the handshake body.
      throw refused('Access tokens in the URL are refused: send it as auth.token');
    }
    const raw: unknown = socket.handshake.auth?.token;
    if (typeof raw !== 'string' || raw.trim() === '') {
      throw refused('Missing access token: connect with { auth: { token: <accessToken> } }');
    }
    const token = raw.trim().replace(/^Bearer\s+/i, '');
    let principal: UserPrincipal;
    try {
      principal = await this.auth.principalFromAccessToken(token);
    } catch (err) {
      if (err instanceof HttpException) throw refused(err.message);
      this.logger.error(`worklist socket authentication failed: ${(err as Error).message}`);
      throw refused('Could not check your sign-in right now; retry shortly', 'UNAVAILABLE');
    }
    socket.data.principal = principal;
    socket.data.expiresAt = tokenExpiry(token);
    socket.data.rooms = await this.audience.roomsFor(principal);
  }

  handleConnection(socket: WorklistSocket): void {
    // Joined synchronously: nothing emitted after the client's 'connect' can miss this socket.
    void socket.join(socket.data.rooms);
    const expiry = setTimeout(() => socket.disconnect(true), Math.max(0, socket.data.expiresAt - Date.now()));
    const refresh = setInterval(() => {
      this.resubscribe(socket).catch((err: Error) => this.logger.warn(`worklist rooms not refreshed: ${err.message}`));
    }, this.config.WORKLIST_RESUBSCRIBE_SECONDS * 1000);
    for (const t of [expiry, refresh]) t.unref();
    this.timers.set(socket.id, [expiry, refresh]);

    socket.on('worklist:resubscribe', (ack) => {
      const reply = typeof ack === 'function' ? ack : () => undefined;
      this.resubscribe(socket).then(
        (rooms) => reply({ rooms }),
        (err: Error) => {
          this.logger.warn(`worklist resubscribe failed: ${err.message}`);
          reply({ error: 'Could not re-evaluate your worklist; retry shortly' });
        },
      );
    });
  }

  handleDisconnect(socket: WorklistSocket): void {
    for (const t of this.timers.get(socket.id) ?? []) clearTimeout(t);
    this.timers.delete(socket.id);
  }

  /**
   * Re-reads the account and its credentials and moves the socket to the rooms it now
   * qualifies for; a deactivated account is disconnected. Returns how many rooms it follows.
   */
  async resubscribe(socket: WorklistSocket): Promise<number> {
    const user = await this.users.findById(socket.data.principal.userId);
    if (!user || !user.active) {
      socket.disconnect(true);
      return 0;
    }
    const principal = toPrincipal(user);
    const wanted = new Set(await this.audience.roomsFor(principal, user.subspecialties));
    if (!socket.connected) return 0; // closed meanwhile: joining now would leave stale memberships
    socket.data.principal = principal;
    socket.data.rooms = [...wanted];
    for (const room of [...socket.rooms]) if (isAudienceRoom(room) && !wanted.has(room)) void socket.leave(room);
    void socket.join([...wanted]);
    return wanted.size;
  }
}
