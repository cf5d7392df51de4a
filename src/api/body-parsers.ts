import type { FastifyInstance } from 'fastify';
import { parse as parseYaml } from 'yaml';
import { PontoonError } from '../domain/errors.js';

/**
 * Every body is JSON unless it says YAML. Any other content type is read as JSON too, because
 * `curl -d` sends form encoding by default and users mean JSON. An empty body is `null`.
 */
export function installBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml'], { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, (body as string).trim() === '' ? null : parseYaml(body as string));
    } catch (thrown) {
      done(new PontoonError('INVALID_INPUT', `body is not valid YAML: ${(thrown as Error).message}`), undefined);
    }
  });
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, (body as string).trim() === '' ? null : JSON.parse(body as string));
    } catch (thrown) {
      done(new PontoonError('INVALID_INPUT', `body is not valid JSON: ${(thrown as Error).message}`), undefined);
    }
  });
}
