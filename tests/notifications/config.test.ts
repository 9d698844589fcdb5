import { describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/core/index.js';

const dir = () => mkdtempSync(join(tmpdir(), 'citysense-notify-config-'));

describe('notification settings', () => {
  it('defaults to no SMTP server, a local sender and links to where citysense listens', () => {
    const c = loadConfig({}, dir());
    expect([c.smtpUrl, c.smtpFrom, c.publicUrl]).toEqual([undefined, 'citysense <citysense@localhost>', undefined]);
  });

  it('reads SMTP_URL, SMTP_FROM and PUBLIC_URL (without a trailing slash)', () => {
    const c = loadConfig({ SMTP_URL: 'smtps://alerts:pw@mail.city.example:465', SMTP_FROM: 'Ops <ops@city.example>', PUBLIC_URL: 'https://ops.city.example/' }, dir());
    expect([c.smtpUrl, c.smtpFrom, c.publicUrl]).toEqual(['smtps://alerts:pw@mail.city.example:465', 'Ops <ops@city.example>', 'https://ops.city.example']);
  });

  it.each([
    ['SMTP_URL', 'http://mail.city.example'],
    ['SMTP_URL', 'not a url'],
    ['PUBLIC_URL', 'ops.city.example'],
    ['PUBLIC_URL', 'ftp://ops.city.example'],
  ])('refuses %s=%s, naming it', (variable, value) => {
    let err: unknown;
    try { loadConfig({ [variable]: value }, dir()); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain(variable);
  });

  it('never repeats an SMTP_URL (it holds a password) in its error', () => {
    let err: unknown;
    try { loadConfig({ SMTP_URL: 'imap://user:hunter2@mail' }, dir()); } catch (e) { err = e; }
    expect((err as ConfigError).message).toContain('SMTP_URL');
    expect((err as ConfigError).message).not.toContain('hunter2');
  });
});
