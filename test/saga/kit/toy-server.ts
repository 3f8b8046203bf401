import { exitOnFailure, serve } from '../../../src/main';
import { toySagas } from './toys';

/** The real service, with the toy saga registered too: the engine's crash tests run it and SIGKILL it. */
serve(toySagas).catch(exitOnFailure);
