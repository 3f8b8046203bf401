import type { Queryable } from '../../eventstore';
import { evolveSaga, TERMINAL_STATUSES, type CompensationView, type SagaStatus, type SagaView } from '../../saga/state';
import { documentProjection, idOf, liveVersionOf } from '../projection';

export const SAGA_OVERVIEW = 'saga-overview';

export type CompensationSummary = Pick<CompensationView, 'step' | 'name' | 'status'>;

/** A saga in a list: its status and where it is, without its full trail and input. */
export interface SagaOverview extends Omit<SagaView, 'steps' | 'compensations' | 'operatorActions' | 'input'> {
  currentStep: string | null;
  compensations: CompensationSummary[];
}

const UNDONE: readonly CompensationView['status'][] = ['registered', 'failed', 'stuck'];

/**
 * Where the saga is: the compensation being run while compensating (they run
 * in reverse), the failed step when parked forward, "approval" while waiting
 * for an operator, otherwise the step in flight when known (its compensation
 * is registered before it acts) or the last step recorded. Null once ended.
 */
export function currentStepOf(view: SagaView): string | null {
  if (TERMINAL_STATUSES.includes(view.status)) return null;
  switch (view.status) {
    case 'COMPENSATING':
    case 'COMPENSATION_STUCK':
      return [...view.compensations].reverse().find((c) => UNDONE.includes(c.status))?.name ?? null;
    case 'FAILED':
      return view.failure?.step ?? null;
    case 'AWAITING_APPROVAL':
      return 'approval';
    default: {
      const done = new Set(view.steps.map((s) => s.name));
      const inFlight = view.compensations.at(-1)?.step;
      if (inFlight !== undefined && !done.has(inFlight)) return inFlight;
      return view.steps.at(-1)?.name ?? null;
    }
  }
}

export function sagaOverviewOf(view: SagaView): SagaOverview {
  const { steps: _steps, compensations, operatorActions: _actions, input: _input, ...summary } = view;
  return {
    ...summary,
    currentStep: currentStepOf(view),
    compensations: compensations.map(({ step, name, status }) => ({ step, name, status })),
  };
}

export const sagaOverviewProjection = documentProjection<SagaView>({
  name: SAGA_OVERVIEW,
  rulesVersion: 1,
  table: 'rm_saga_overviews',
  keyColumn: 'saga_id',
  categories: ['saga'],
  // The saga fold itself, one event at a time: one set of status rules.
  evolve: (view, event) => evolveSaga(view, idOf(event), event),
  columns: {
    saga_type: 'text',
    status: 'text',
    current_step: 'text',
    business_key: 'text',
    compensations: 'jsonb',
    started_at: 'timestamptz',
    ended_at: 'timestamptz',
    updated_at: 'timestamptz',
  },
  toColumns(view) {
    const overview = sagaOverviewOf(view);
    return {
      saga_type: view.type,
      status: view.status,
      current_step: overview.currentStep,
      business_key: view.businessKey,
      compensations: overview.compensations,
      started_at: view.startedAt,
      ended_at: view.endedAt ?? null,
      updated_at: view.updatedAt,
    };
  },
});

export interface SagaFilter {
  status?: SagaStatus;
  type?: string;
  /** For an order-fulfillment saga: the order id. */
  businessKey?: string;
  limit: number;
}

/** Newest first. */
export async function listSagaOverviews(db: Queryable, filter: SagaFilter): Promise<SagaOverview[]> {
  const { rows } = await db.query<{ state: SagaView }>(
    `SELECT state FROM rm_saga_overviews WHERE version = ${liveVersionOf(SAGA_OVERVIEW)}
        AND ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR saga_type = $2)
        AND ($3::text IS NULL OR business_key = $3)
      ORDER BY started_at DESC, saga_id LIMIT $4`,
    [filter.status ?? null, filter.type ?? null, filter.businessKey ?? null, filter.limit],
  );
  return rows.map((r) => sagaOverviewOf(r.state));
}

/** Statuses in which a saga waits for a person: approval, or an operator after it parked. */
export const PARKED_STATUSES = ['AWAITING_APPROVAL', 'COMPENSATION_STUCK', 'FAILED', 'QUARANTINED'] as const satisfies readonly SagaStatus[];

/** How many sagas are parked right now, per type and status (from the read model). */
export async function countParkedSagas(db: Queryable): Promise<{ sagaType: string; status: string; count: number }[]> {
  const { rows } = await db.query<{ saga_type: string; status: string; count: number }>(
    `SELECT saga_type, status, count(*)::int AS count FROM rm_saga_overviews
      WHERE version = ${liveVersionOf(SAGA_OVERVIEW)} AND status = ANY($1::text[])
      GROUP BY saga_type, status`,
    [PARKED_STATUSES],
  );
  return rows.map((r) => ({ sagaType: r.saga_type, status: r.status, count: r.count }));
}
