import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { DEPLOYMENT, REPO_ROOT } from "./dockerfile.js";

const run = promisify(execFile);

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

async function yamlDocuments(path: string): Promise<Record<string, unknown>[]> {
  const documents = parseAllDocuments(await readFile(path, "utf8"));
  for (const document of documents) {
    expect(
      document.errors.map((error) => error.message),
      relative(REPO_ROOT, path),
    ).toEqual([]);
  }
  return documents.map((document) => document.toJS() as Record<string, unknown>);
}

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML, checked field by field below.
type Manifest = Record<string, any>;

async function manifest(kind: string): Promise<Manifest> {
  for (const file of (await filesUnder(join(DEPLOYMENT, "k8s"))).filter((path) => path.endsWith(".yaml"))) {
    for (const document of await yamlDocuments(file)) if (document.kind === kind) return document;
  }
  throw new Error(`no ${kind} manifest in deployment/k8s`);
}

describe("deployment files", () => {
  it("every YAML file parses", async () => {
    const files = (await filesUnder(DEPLOYMENT)).filter((path) => /\.ya?ml$/.test(path));
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const file of files) expect((await yamlDocuments(file)).length).toBeGreaterThan(0);
  });

  it("every shell script passes shellcheck", async () => {
    const scripts = (await filesUnder(DEPLOYMENT)).filter((path) => path.endsWith(".sh"));
    expect(scripts.map((path) => relative(DEPLOYMENT, path))).toContain("quickstart.sh");
    const result = await run("shellcheck", ["--severity=style", ...scripts]).then(
      () => ({ code: 0, output: "" }),
      (error: { code: number; stdout: string }) => ({ code: error.code, output: error.stdout }),
    );
    expect(result.output).toBe("");
    expect(result.code).toBe(0);
  });

  it("quickstart.sh rejects an unknown option with exit 2", async () => {
    const result = await run("bash", [join(DEPLOYMENT, "quickstart.sh"), "--bogus"]).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown option '--bogus'") });
  });

  it("docker-compose.yml keeps the hardening: read-only, no capabilities, seccomp, AppArmor, limits, log rotation", async () => {
    const [compose] = (await yamlDocuments(join(DEPLOYMENT, "docker-compose.yml"))) as Manifest[];
    const gateway = compose?.services.waygate;
    expect(gateway.read_only).toBe(true);
    expect(gateway.cap_drop).toEqual(["ALL"]);
    expect(gateway.security_opt).toEqual(
      expect.arrayContaining([
        "no-new-privileges:true",
        "seccomp=./security/seccomp-waygate.json",
        "apparmor=waygate-gateway",
      ]),
    );
    expect(gateway.deploy.resources.limits).toEqual({ cpus: "2", memory: "1g" });
    expect(gateway.logging.options).toEqual({ "max-size": "10m", "max-file": "3" });
    expect(gateway.healthcheck.test.join(" ")).toContain("/health");
    expect(gateway.user).toBe("1000:1000");
    expect(gateway.tmpfs[0]).toMatch(/^\/tmp:/);
    expect(compose?.services.nginx.profiles).toEqual(["ssl"]);
  });

  it("the seccomp profile denies by default and never allows mount, ptrace, bpf or module loading", async () => {
    const profile = JSON.parse(await readFile(join(DEPLOYMENT, "security", "seccomp-waygate.json"), "utf8"));
    expect(profile.defaultAction).toBe("SCMP_ACT_ERRNO");
    const allowed = profile.syscalls.flatMap((rule: { names: string[] }) => rule.names);
    for (const needed of ["epoll_wait", "clone", "execve", "openat", "futex", "socket"])
      expect(allowed).toContain(needed);
    for (const denied of [
      "mount",
      "ptrace",
      "bpf",
      "init_module",
      "kexec_load",
      "keyctl",
      "unshare",
      "setns",
    ]) {
      expect(allowed).not.toContain(denied);
    }
  });

  it("the AppArmor profile is named as compose expects and allows writes only to /data and /tmp", async () => {
    const profile = await readFile(join(DEPLOYMENT, "security", "apparmor-waygate"), "utf8");
    expect(profile).toContain("profile waygate-gateway");
    const writable = [...profile.matchAll(/^\s*(\S+)\s+\w*w\w*,$/gm)].map((match) => match[1]);
    expect(writable.length).toBeGreaterThan(0);
    expect(writable.every((path) => path?.startsWith("/data") || path?.startsWith("/tmp"))).toBe(true);
  });

  it("the Kubernetes Deployment runs non-root, read-only, without capabilities, probing /ready and /livez", async () => {
    const deployment = await manifest("Deployment");
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    const [container] = pod.containers;
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
    expect(container.readinessProbe.httpGet.path).toBe("/ready");
    // Liveness checks the process only: /health turns 503 while the database is down, which would restart every pod.
    expect(container.livenessProbe.httpGet.path).toBe("/livez");
    expect(container.startupProbe.httpGet.path).toBe("/livez");
    expect(pod.volumes.map((volume: { name: string }) => volume.name)).toEqual(["data", "tmp", "config"]);
  });

  it("sizes the Kubernetes /tmp for npx caches on disk, not in the pod's memory", async () => {
    const pod = (await manifest("Deployment")).spec.template.spec;
    const tmp = pod.volumes.find((volume: { name: string }) => volume.name === "tmp");
    // One npx cache of server-everything measured 62 MB; a memory-backed /tmp would count against the 1 GiB limit.
    expect(tmp.emptyDir.medium).toBeUndefined();
    const match = /^(\d+)(Mi|Gi)$/.exec(tmp.emptyDir.sizeLimit);
    expect(match).not.toBeNull();
    const mebibytes = Number(match?.[1]) * (match?.[2] === "Gi" ? 1024 : 1);
    expect(mebibytes).toBeGreaterThanOrEqual(1024);
    const readme = await readFile(join(DEPLOYMENT, "README.md"), "utf8");
    expect(readme).toContain("/tmp");
    expect(readme).toMatch(/npm install --global[^\n]*@modelcontextprotocol\/server-everything/);
  });

  it("deployment/README.md says how to build and push the image, and the release workflow does the same", async () => {
    const readme = await readFile(join(DEPLOYMENT, "README.md"), "utf8");
    expect(readme).toContain(
      "docker buildx build --platform linux/amd64,linux/arm64 -f deployment/Dockerfile",
    );
    expect(readme).toMatch(/--push/);
    expect(readme).toContain("kubectl set image deployment/waygate");
    const workflow = await readFile(join(REPO_ROOT, ".github", "workflows", "release.yml"), "utf8");
    expect(workflow).toContain("file: deployment/Dockerfile");
  });

  it("ships a Service, ConfigMap, Secret, PodDisruptionBudget and HorizontalPodAutoscaler that select the pods", async () => {
    const labels = (await manifest("Deployment")).spec.template.metadata.labels;
    expect((await manifest("Service")).spec.selector).toEqual(labels);
    expect((await manifest("PodDisruptionBudget")).spec.selector.matchLabels).toEqual(labels);
    expect((await manifest("HorizontalPodAutoscaler")).spec.scaleTargetRef.name).toBe("waygate");
    expect((await manifest("ConfigMap")).data.WAYGATE_ENV).toBe("production");
    expect(Object.keys((await manifest("Secret")).stringData)).toContain("WAYGATE_SECRET_KEY");
  });

  it("the scale-out files set only environment variables the gateway knows", async () => {
    const { EnvSchema } = await import("../src/config/env.js");
    const known = new Set(Object.keys(EnvSchema.shape));
    const names: string[] = [];
    const composePath = join(DEPLOYMENT, "scale-out", "compose", "docker-compose.yml");
    // The replicas share their settings through a YAML anchor (`<<: *gateway`), so merge keys are resolved.
    const compose = parse(await readFile(composePath, "utf8"), { merge: true }) as Manifest;
    const gateways = (Object.values(compose.services) as Manifest[]).filter((service) =>
      String(service.image).includes("waygate"),
    );
    expect(gateways.length, "gateway replicas in the scale-out compose file").toBeGreaterThan(1);
    for (const service of gateways) {
      expect(Object.keys(service.environment).length).toBeGreaterThan(0);
      names.push(...Object.keys(service.environment));
    }
    const patch = join(DEPLOYMENT, "scale-out", "k8s", "gateway-scale-out.yaml");
    const containers = (await yamlDocuments(patch)).flatMap(
      (document) => (document as Manifest).spec?.template?.spec?.containers ?? [],
    );
    expect(containers.length, "containers in the scale-out patch").toBeGreaterThan(0);
    for (const container of containers)
      names.push(...container.env.map((entry: { name: string }) => entry.name));
    expect(names).toEqual(expect.arrayContaining(["REDIS_URL", "MCP_SESSION_MODE"]));
    expect(names.filter((name) => !known.has(name))).toEqual([]);
  });

  it("the Service keeps each client on one of the Deployment's pods, which hold stateful MCP sessions", async () => {
    const configMap = await manifest("ConfigMap");
    const service = await manifest("Service");
    // The shipped manifests run several replicas with sessions in the pod (the default mode); the scale-out
    // overlay is where stateless mode lives. If that changes, the Service's affinity must be revisited too.
    expect((await manifest("Deployment")).spec.replicas).toBeGreaterThan(1);
    expect(configMap.data.MCP_SESSION_MODE ?? "stateful").toBe("stateful");
    expect(service.spec.sessionAffinity).toBe("ClientIP");
    expect(service.spec.sessionAffinityConfig.clientIP.timeoutSeconds).toBeGreaterThanOrEqual(60);
  });

  it("every shipped deployment takes WAYGATE_ALLOWED_HOSTS from the operator, and production on 0.0.0.0 refuses to start without it", async () => {
    const { loadConfig } = await import("../src/config/load.js");
    const { ConfigError } = await import("../src/errors.js");
    const { readDockerfile, stageEnv } = await import("./dockerfile.js");
    const secret = { WAYGATE_SECRET_KEY: "s".repeat(32) };
    const refusal = async (env: Record<string, string>) => {
      const error = await loadConfig({ env: { ...env, ...secret }, cwd: REPO_ROOT }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(ConfigError);
      return (error as InstanceType<typeof ConfigError>).issues.find(
        (i) => i.path === "WAYGATE_ALLOWED_HOSTS",
      );
    };

    // The image binds 0.0.0.0 in production and leaves the names to the operator: unset, it refuses to start.
    const runtime = (await readDockerfile()).stages.find((stage) => stage.name === "runtime");
    const image = stageEnv(runtime!);
    expect(image).toMatchObject({ WAYGATE_ENV: "production", WAYGATE_HOST: "0.0.0.0" });
    expect(image.WAYGATE_ALLOWED_HOSTS).toBeUndefined();
    expect(await refusal({ ...image, WAYGATE_CONFIG: "" })).toMatchObject({
      message: expect.stringContaining("is required in production when WAYGATE_HOST is 0.0.0.0"),
      fix: expect.stringContaining("WAYGATE_ALLOWED_HOSTS"),
    });
    // Filled in, the same environment starts, with the Host check on those names.
    const started = await loadConfig({
      env: {
        ...image,
        ...secret,
        WAYGATE_CONFIG: "",
        WAYGATE_ALLOWED_HOSTS: "waygate.example.com, gw.example.com",
      },
      cwd: REPO_ROOT,
    });
    expect(started.server.allowedHosts).toEqual(["waygate.example.com", "gw.example.com"]);

    // The ConfigMap ships the key empty: as shipped it refuses to start, naming the variable.
    const configMap = (await manifest("ConfigMap")).data as Record<string, string>;
    expect(configMap.WAYGATE_ALLOWED_HOSTS).toBe("");
    const { "waygate.json": _file, WAYGATE_CONFIG: _path, ...configMapEnv } = configMap;
    expect(await refusal(configMapEnv)).toBeDefined();

    // Both compose files make the variable mandatory (compose stops with the message when it is unset).
    for (const path of [
      join(DEPLOYMENT, "docker-compose.yml"),
      join(DEPLOYMENT, "scale-out", "compose", "docker-compose.yml"),
    ]) {
      const compose = parse(await readFile(path, "utf8"), { merge: true }) as Manifest;
      const gateways = (Object.values(compose.services) as Manifest[]).filter((service) =>
        String(service.image).includes("waygate"),
      );
      expect(gateways.length, relative(REPO_ROOT, path)).toBeGreaterThan(0);
      for (const service of gateways) {
        expect(service.environment.WAYGATE_HOST).toBe("0.0.0.0");
        expect(service.environment.WAYGATE_ALLOWED_HOSTS).toMatch(/^\$\{WAYGATE_ALLOWED_HOSTS:\?.+\}$/);
      }
    }
    // quickstart.sh writes the local name into .env, so the one-machine compose file starts out of the box.
    expect(await readFile(join(DEPLOYMENT, "quickstart.sh"), "utf8")).toContain(
      "WAYGATE_ALLOWED_HOSTS=localhost",
    );
  });

  it("the ConfigMap's config file is valid for the gateway", async () => {
    const { ConfigFileSchema } = await import("../src/config/file.js");
    const configMap = await manifest("ConfigMap");
    expect(ConfigFileSchema.safeParse(JSON.parse(configMap.data["waygate.json"])).success).toBe(true);
  });

  it("sets only environment variables the gateway knows, in the image, compose and Kubernetes", async () => {
    const { EnvSchema } = await import("../src/config/env.js");
    const known = new Set([
      ...Object.keys(EnvSchema.shape),
      "NODE_ENV",
      "HOME",
      "NPM_CONFIG_CACHE",
      "NPM_CONFIG_UPDATE_NOTIFIER",
    ]);
    const { readDockerfile, stageEnv } = await import("./dockerfile.js");
    const runtime = (await readDockerfile()).stages.find((stage) => stage.name === "runtime");
    expect(runtime, "the Dockerfile's runtime stage").toBeDefined();
    const [compose] = (await yamlDocuments(join(DEPLOYMENT, "docker-compose.yml"))) as Manifest[];
    const configMap = await manifest("ConfigMap");
    const secret = await manifest("Secret");
    const sources = {
      image: Object.keys(stageEnv(runtime!)),
      compose: Object.keys(compose!.services.waygate.environment),
      configMap: Object.keys(configMap.data).filter((key) => key !== "waygate.json"),
      secret: Object.keys(secret.stringData),
    };
    for (const [source, keys] of Object.entries(sources)) expect(keys.length, source).toBeGreaterThan(0);
    const names = [...sources.image, ...sources.compose, ...sources.configMap, ...sources.secret];
    expect(names.filter((name) => !known.has(name))).toEqual([]);
  });
});
