import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactUrlCredentials, redactUrlFields, redactUrlsInText } from '../../src/domain/url-credentials.js';

describe('URL credentials', () => {
  it('replaces a URL’s user name and password, keeping the rest', () => {
    assert.equal(redactUrlCredentials('https://alice:s3cret@hooks.example.com:8443/done?x=1#f'), 'https://REDACTED@hooks.example.com:8443/done?x=1#f');
    assert.equal(redactUrlCredentials('https://token@hooks.example.com/'), 'https://REDACTED@hooks.example.com/');
    assert.equal(redactUrlCredentials('https://hooks.example.com/'), 'https://hooks.example.com/');
    assert.equal(redactUrlCredentials('not a url'), 'not a url');
  });

  it('redacts URL fields and URLs in messages at any depth, but not the caller’s input or the result', () => {
    const shown = redactUrlFields({
      callbackUrl: 'http://u:p@h/',
      document: { spec: { sinks: [{ url: 'http://u:p@h/s' }] } },
      lastError: 'http://u:p@h/s answered 500',
      input: { url: 'http://u:p@h/' },
      result: 'http://u:p@h/',
    });
    assert.deepEqual(shown, {
      callbackUrl: 'http://REDACTED@h/',
      document: { spec: { sinks: [{ url: 'http://REDACTED@h/s' }] } },
      lastError: 'http://REDACTED@h/s answered 500',
      input: { url: 'http://u:p@h/' },
      result: 'http://u:p@h/',
    });
  });

  it('leaves text without credentials alone, e-mail addresses included', () => {
    assert.equal(redactUrlsInText('mail ops@example.com about http://h/x'), 'mail ops@example.com about http://h/x');
  });
});
