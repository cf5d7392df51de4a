import Fastify, { type FastifyInstance } from 'fastify';

/** A throwaway fastify server on 127.0.0.1 that a test shapes route by route. */
export async function startTinyServer(setup: (app: FastifyInstance) => void): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify();
  setup(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return { app, url: `http://127.0.0.1:${address.port}` };
}

/** A URL on 127.0.0.1 where nothing listens: a port that was just bound and released. */
export async function deadUrl(): Promise<string> {
  const { app, url } = await startTinyServer(() => undefined);
  await app.close();
  return url;
}
