#!/usr/bin/env node
// Validates newsd's /openapi.json with @apidevtools/swagger-parser (OpenAPI 3.1 schema and
// semantics: unique operationIds, path parameters declared, $refs resolvable), then checks
// real responses against the document's response schemas with Ajv (JSON Schema 2020-12, the
// dialect of OpenAPI 3.1).
//   node validate.js DOC.json [SAMPLES.json]
// SAMPLES is [{"path": "/articles/{id}", "method": "get", "status": 200, "body": {...}}, ...].
// Prints one line per problem and exits 1 when there is any; prints "valid ..." otherwise.
"use strict";
const fs = require("fs");
const SwaggerParser = require("@apidevtools/swagger-parser");
const Ajv2020 = require("ajv/dist/2020");

async function main() {
	const [docPath, samplesPath] = process.argv.slice(2);
	const raw = JSON.parse(fs.readFileSync(docPath, "utf8"));
	// validate() dereferences in place: keep the original for the report
	const api = await SwaggerParser.validate(JSON.parse(JSON.stringify(raw)));
	let problems = 0;
	let checked = 0;
	if (samplesPath) {
		const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
		for (const s of JSON.parse(fs.readFileSync(samplesPath, "utf8"))) {
			const op = (api.paths[s.path] || {})[s.method];
			const resp = op && op.responses[String(s.status)];
			const media = resp && resp.content && resp.content["application/json"];
			if (!media) {
				console.log(`${s.method.toUpperCase()} ${s.path}: status ${s.status} is not documented with a JSON body`);
				problems++;
				continue;
			}
			const check = ajv.compile(media.schema);
			checked++;
			if (!check(s.body)) {
				console.log(`${s.method.toUpperCase()} ${s.path} ${s.status}: ` +
					ajv.errorsText(check.errors, { dataVar: "body" }));
				problems++;
			}
		}
	}
	if (problems)
		process.exit(1);
	console.log(`valid OpenAPI ${api.openapi}: ${Object.keys(api.paths).length} paths, ` +
		`${checked} responses checked against their schemas`);
}

main().catch((e) => {
	console.log(e.message);
	process.exit(1);
});
