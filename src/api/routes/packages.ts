import type { FastifyInstance } from 'fastify';
import { PontoonError } from '../../domain/errors.js';
import { checkPackageArchive, defaultPackageLimits } from '../../runtimes/package-archive.js';
import { inNamespace } from '../auth/route-access.js';
import type { ApiContext } from '../context.js';
import { errorResponses, namespaceParams } from '../schemas.js';

/** Media types an archive may be sent as: gzip (what the CLI sends), a plain tar, or bytes. */
const archiveTypes = ['application/gzip', 'application/x-gzip', 'application/x-tar', 'application/octet-stream'];

const packageSchema = {
  type: 'object',
  required: ['sha256', 'size'],
  properties: { sha256: { type: 'string', description: 'sha256 of the archive, hex: put it in spec.package.sha256' }, size: { type: 'integer', description: 'bytes' } },
} as const;

/** `POST /v1/namespaces/:ns/packages`: uploads a function's packed source, checked before it is stored. */
export async function packageRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const limits = context.packageLimits ?? defaultPackageLimits();
  // Read here rather than with fastify's bodyLimit, so that a package over the limit is refused
  // with the package limit's own message, and the rest of the body is not buffered.
  app.addContentTypeParser(archiveTypes, (_request, payload, done) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    payload.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > limits.maxBytes) {
        refused = true;
        done(new PontoonError('PAYLOAD_TOO_LARGE', `the package is over the limit of ${limits.maxBytes} bytes (the server's --package-limit); leave build outputs and dependencies out with a .pontoonignore`, { limit: 'package', max: limits.maxBytes }), undefined);
        return;
      }
      chunks.push(chunk);
    });
    payload.on('end', () => {
      if (!refused) done(null, Buffer.concat(chunks));
    });
    payload.on('error', (error: Error) => {
      if (!refused) done(error, undefined);
    });
  });

  app.post<{ Params: { ns: string }; Body: Buffer }>(
    '/v1/namespaces/:ns/packages',
    {
      config: { access: inNamespace('deploy') },
      schema: {
        summary: 'Upload a source package (a .tar.gz of a function directory); name it in spec.package.sha256',
        description: `The archive is checked whole before anything is stored: at most ${limits.maxBytes} bytes; no entry may be absolute, contain .., or link outside the archive; a corrupt archive is refused. The same bytes uploaded again are the same package.`,
        tags: ['functions'],
        params: namespaceParams,
        consumes: archiveTypes,
        body: { type: 'string', format: 'binary', description: 'the archive (.tar.gz)' },
        response: { 200: packageSchema, 201: packageSchema, ...errorResponses },
      },
      // The body is bytes; checkPackageArchive is its validation.
      validatorCompiler: () => () => true,
    },
    async (request, reply) => {
      if (!Buffer.isBuffer(request.body)) {
        throw new PontoonError('INVALID_PACKAGE', `send the package as one of ${archiveTypes.join(', ')}`, { problems: ['content-type'] });
      }
      const checked = await checkPackageArchive(request.body, limits);
      const existing = await context.store.hasPackage(checked.sha256);
      if (existing) return reply.status(200).send(existing);
      return reply.status(201).send(await context.store.putPackage({ ...checked, archive: request.body }));
    },
  );
}
