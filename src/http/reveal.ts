import type { RequestHandler } from 'express';
import type { Privacy } from '../privacy/privacy';
import { HttpProblem, sendProblem } from './problem';

/**
 * Every JSON answer goes through Privacy.reveal: sealed personal data is
 * shown opened while its customer's key exists and as "[forgotten]" once it
 * is gone. Reads stay plain (events, inputs, read models are served as
 * stored), and no route can forget to do it, including routes added later.
 */
export function revealPersonalData(privacy: Privacy): RequestHandler {
  return (req, res, next) => {
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      privacy.reveal(body).then(send, () => {
        res.json = send;
        sendProblem(req, res, new HttpProblem('unavailable', 'personal data could not be read: the key store did not answer'));
      });
      return res;
    };
    next();
  };
}
