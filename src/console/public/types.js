// @ts-check
/**
 * Shapes of the API's answers the console reads (see src/saga/state.ts and
 * src/http/routes/sagas.ts). Types only: nothing here runs.
 *
 * @typedef {{ code: string, message: string, transient?: boolean }} ErrorInfo
 *
 * @typedef {object} SagaEvent
 * @property {number} position       position in the saga's stream
 * @property {number} globalPosition
 * @property {string} type
 * @property {Record<string, any>} data
 * @property {Record<string, any>} metadata
 * @property {string} recordedAt
 *
 * @typedef {object} CompensationView
 * @property {string} step
 * @property {string} name
 * @property {string} status
 * @property {number} attempts
 * @property {boolean} [nothingToUndo]
 * @property {ErrorInfo} [error]
 *
 * @typedef {object} StepView
 * @property {string} name
 * @property {'succeeded' | 'failed' | 'stopped'} status
 * @property {boolean} pivot
 * @property {number} attempts
 * @property {string} startedAt
 * @property {number} durationMs
 * @property {ErrorInfo} [error]
 * @property {unknown} [output]
 * @property {string} [group]  steps run as parallel branches of one group share it
 * @property {string} [child]  the id of the child saga the step ran
 *
 * @typedef {object} SagaDetail
 * @property {string} sagaId
 * @property {string} type
 * @property {string} businessKey
 * @property {string} status
 * @property {Record<string, any>} input
 * @property {boolean} pivoted
 * @property {{ step: string, enteredAt: string }} [pivot]
 * @property {boolean} cancelRequested
 * @property {string} [compensationReason]
 * @property {{ step: string, error: ErrorInfo }} [failure]
 * @property {string} [awaitingApprovalUntil]
 * @property {StepView[]} steps
 * @property {{ sagaId: string, step: string }} [parent]  the saga (and its step) that started this one
 * @property {{ step: string, sagaId: string, type: string }[]} [children]
 * @property {{ signal?: string, until: string }} [waiting]
 * @property {CompensationView[]} compensations
 * @property {{ action: string, actor: string, reason?: string, at: string }[]} operatorActions
 * @property {string} startedAt
 * @property {string} updatedAt
 * @property {string} [endedAt]
 * @property {number} version
 * @property {{ status: string, executorId?: string, applicationVersion?: string } | null} [workflow]
 * @property {SagaEvent[]} events
 */
export {};
