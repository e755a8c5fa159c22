/**
 * The few Twilio REST calls a cutover makes, at `api.twilio.com` as Twilio answers them: an
 * account's incoming phone numbers listed (filtered by `PhoneNumber`), one read, and one updated
 * (`VoiceUrl`, `VoiceFallbackUrl`), with HTTP Basic auth of the account SID and auth token, and
 * Twilio's error bodies (`code`, `message`, `more_info`, `status`).
 */
import { randomBytes } from 'node:crypto';
import { reply, type Reply } from './http.js';

interface PhoneNumber {
  sid: string;
  phone_number: string;
  voice_url: string;
  voice_fallback_url: string | null;
  voice_method: string;
}

interface Account {
  authToken: string;
  numbers: Map<string, PhoneNumber>;
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

export class Twilio {
  readonly accounts = new Map<string, Account>();

  /** An account with one number, as a test sets the scene: returns the SID, the auth token and the number's SID. */
  createAccount(phoneNumber: string, voiceUrl: string): { accountSid: string; authToken: string; numberSid: string } {
    const accountSid = `AC${hex(16)}`;
    const authToken = hex(16);
    const numberSid = `PN${hex(16)}`;
    this.accounts.set(accountSid, {
      authToken,
      numbers: new Map([
        [numberSid, { sid: numberSid, phone_number: phoneNumber, voice_url: voiceUrl, voice_fallback_url: null, voice_method: 'POST' }],
      ]),
    });
    return { accountSid, authToken, numberSid };
  }

  handle(method: string, url: URL, body: string, authorization: string | undefined): Reply {
    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/IncomingPhoneNumbers(?:\/([^/]+))?\.json$/.exec(url.pathname);
    if (!match) return error(404, 20404, `The requested resource ${url.pathname} was not found`);
    const [, accountSid = '', numberSid] = match;
    const [user, ...password] = Buffer.from(/^Basic (.+)$/i.exec(authorization ?? '')?.[1] ?? '', 'base64')
      .toString('utf8')
      .split(':');
    const account = this.accounts.get(accountSid);
    if (!account || user !== accountSid || password.join(':') !== account.authToken) return error(401, 20003, 'Authenticate');
    if (!numberSid) {
      if (method !== 'GET') return error(405, 20004, 'Method not allowed');
      const wanted = url.searchParams.get('PhoneNumber');
      const numbers = [...account.numbers.values()].filter((number) => wanted === null || number.phone_number === wanted);
      return reply(200, {
        incoming_phone_numbers: numbers.map((number) => view(accountSid, number)),
        page: 0,
        page_size: 50,
        start: 0,
        end: Math.max(0, numbers.length - 1),
        first_page_uri: `/2010-04-01/Accounts/${accountSid}/IncomingPhoneNumbers.json?PageSize=50&Page=0`,
        next_page_uri: null,
        previous_page_uri: null,
        uri: `/2010-04-01/Accounts/${accountSid}/IncomingPhoneNumbers.json?PageSize=50&Page=0`,
      });
    }
    const number = account.numbers.get(numberSid);
    if (!number)
      return error(
        404,
        20404,
        `The requested resource /2010-04-01/Accounts/${accountSid}/IncomingPhoneNumbers/${numberSid}.json was not found`,
      );
    if (method === 'GET') return reply(200, view(accountSid, number));
    if (method !== 'POST') return error(405, 20004, 'Method not allowed');
    const form = new URLSearchParams(body);
    for (const [field, key] of [
      ['VoiceUrl', 'voice_url'],
      ['VoiceFallbackUrl', 'voice_fallback_url'],
      ['VoiceMethod', 'voice_method'],
    ] as const) {
      const value = form.get(field);
      if (value === null) continue;
      if (value !== '' && !/^https?:\/\/\S+$/.test(value) && key !== 'voice_method')
        return error(400, 21502, `${field} is not a valid URL: ${value}`);
      (number as unknown as Record<string, string | null>)[key] = value === '' && key === 'voice_fallback_url' ? null : value;
    }
    return reply(200, view(accountSid, number));
  }
}

function view(accountSid: string, number: PhoneNumber): Record<string, unknown> {
  return {
    account_sid: accountSid,
    ...number,
    uri: `/2010-04-01/Accounts/${accountSid}/IncomingPhoneNumbers/${number.sid}.json`,
  };
}

function error(status: number, code: number, message: string): Reply {
  return reply(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
}
