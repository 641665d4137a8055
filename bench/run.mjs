// `node bench/run.mjs [options]`: runs bench/run.ts under tsx's loader with the same Node
// (the project is TypeScript; `tsx bench/run.ts` does the same). Options: bench/args.ts.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);
const loader = pathToFileURL(require.resolve("tsx")).href;
const entry = fileURLToPath(new URL("./run.ts", import.meta.url));
const child = spawn(process.execPath, ["--import", loader, entry, ...process.argv.slice(2)], { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
