import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Pool } from '../../../src/db/pool';
import type { CallContext, SagaDefinition, StepDefinition } from '../../../src/saga/definition';

/**
 * The engine's test kit: one saga type, `toy`, that runs a script of steps,
 * parallel groups, child sagas, signals, sleeps and approvals. Its steps do
 * nothing but record, in tables of their own, that they were called and the
 * effect they made (keyed by the step's idempotency key, as a provider would
 * do), and fail on demand. Nothing here knows about orders, so the tests that
 * use it test the engine alone, on real DBOS and Postgres; the tables survive
 * a SIGKILL, so crash tests read them too.
 */
const Behaviour = z.object({
  /** business: refused at once; transient: fails on every attempt; flaky: fails twice, then works. */
  fail: z.enum(['business', 'transient', 'flaky']).optional(),
  /** Takes this long (crash tests kill the process meanwhile). */
  delayMs: z.number().int().min(0).max(60_000).optional(),
  /** The step's undo fails (transiently) on every attempt. */
  undo: z.literal('fails').optional(),
});
export type Behaviour = z.infer<typeof Behaviour>;

const Op = z.union([
  Behaviour.extend({ step: z.string(), pivot: z.boolean().optional() }).strict(),
  z.object({ parallel: z.string(), branches: z.record(z.string(), Behaviour) }).strict(),
  z.object({ child: z.string(), script: z.array(z.unknown()) }).strict(),
  z.object({ signal: z.string(), timeoutSeconds: z.number() }).strict(),
  z.object({ sleepMs: z.number().int().min(0) }).strict(),
  z.object({ approval: z.number() }).strict(),
]);
export type Op = z.infer<typeof Op>;

export const ToyInput = z.object({ id: z.string().min(1), script: z.array(Op) });
export type ToyInput = z.infer<typeof ToyInput>;

export const TOY_TABLES = `
  CREATE TABLE IF NOT EXISTS toy_calls (
    id bigserial PRIMARY KEY, saga_id text NOT NULL, action text NOT NULL, key text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
  CREATE TABLE IF NOT EXISTS toy_effects (
    key text PRIMARY KEY, saga_id text NOT NULL, action text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());`;

const refused = (message: string) => Object.assign(new Error(message), { code: 'TOY_REFUSED', transient: false });
const unavailable = (message: string) => Object.assign(new Error(message), { code: 'TOY_UNAVAILABLE', transient: true });

/** A toy provider: records every call, makes each effect once per idempotency key. */
export class ToyWorld {
  constructor(private readonly pool: Pool) {}

  async install(): Promise<void> {
    await this.pool.query(TOY_TABLES);
  }

  step(name: string, behaviour: Behaviour & { pivot?: boolean }): StepDefinition<{ did: string }> {
    return {
      pivot: behaviour.pivot,
      call: async (ctx) => {
        const calls = await this.called(ctx, name);
        if (behaviour.delayMs) await sleep(behaviour.delayMs);
        if (behaviour.fail === 'business') throw refused(`${name} refused`);
        if (behaviour.fail === 'transient' || (behaviour.fail === 'flaky' && calls <= 2)) throw unavailable(`${name} unavailable (call ${calls})`);
        await this.effect(ctx, name);
        return { did: name };
      },
      compensation: {
        name: `undo-${name}`,
        call: async (ctx) => {
          await this.called(ctx, `undo-${name}`);
          if (behaviour.undo === 'fails') throw unavailable(`undo-${name} unavailable`);
          // Nothing to undo unless the step's effect happened (under the step's own key).
          const forward = ctx.idempotencyKey.slice(0, -`undo-${name}`.length) + name;
          const { rowCount } = await this.pool.query('SELECT 1 FROM toy_effects WHERE key = $1', [forward]);
          if (!rowCount) return undefined;
          await this.effect(ctx, `undo-${name}`);
          return { undid: name };
        },
      },
    };
  }

  /** Calls in the order they were made, as `<saga>:<action>`. */
  async calls(sagaId?: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ saga_id: string; action: string }>(
      'SELECT saga_id, action FROM toy_calls WHERE $1::text IS NULL OR saga_id = $1 ORDER BY id',
      [sagaId ?? null],
    );
    return rows.map((r) => `${r.saga_id}:${r.action}`);
  }

  /** Effects in the order they were made (each once per key), as actions. */
  async effects(sagaId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ action: string }>('SELECT action FROM toy_effects WHERE saga_id = $1 ORDER BY at, key', [sagaId]);
    return rows.map((r) => r.action);
  }

  private async called(ctx: CallContext, action: string): Promise<number> {
    await this.pool.query('INSERT INTO toy_calls (saga_id, action, key) VALUES ($1, $2, $3)', [ctx.sagaId, action, ctx.idempotencyKey]);
    const { rows } = await this.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM toy_calls WHERE key = $1', [ctx.idempotencyKey]);
    return rows[0].n;
  }

  private async effect(ctx: CallContext, action: string): Promise<void> {
    await this.pool.query('INSERT INTO toy_effects (key, saga_id, action) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING', [ctx.idempotencyKey, ctx.sagaId, action]);
  }
}

/** The `toy` saga: runs its input's script, op by op; its output maps each op's name to its result. */
export function toySaga(world: ToyWorld): SagaDefinition<ToyInput> {
  return {
    type: 'toy',
    input: ToyInput,
    businessKey: (input) => input.id,
    async run(saga, input) {
      const out: Record<string, unknown> = {};
      for (const op of input.script) {
        if ('step' in op) out[op.step] = await saga.step(op.step, world.step(op.step, op));
        else if ('parallel' in op) {
          const branches = Object.fromEntries(Object.entries(op.branches).map(([name, b]) => [name, world.step(name, b)]));
          Object.assign(out, await saga.parallel(op.parallel, branches));
        } else if ('child' in op) out[op.child] = await saga.child(op.child, { type: 'toy', input: { id: `${input.id}.${op.child}`, script: op.script } });
        else if ('signal' in op) out[op.signal] = (await saga.waitForSignal(op.signal, op.timeoutSeconds)) ?? null;
        else if ('sleepMs' in op) await saga.sleep(op.sleepMs);
        else await saga.awaitApproval('a toy approval', op.approval);
      }
      return out;
    },
  };
}

/** For startApp's `sagas` option (the test installs the toy tables on the database first). */
export const toySagas = ({ pool }: { pool: Pool }): SagaDefinition[] => [toySaga(new ToyWorld(pool))];
