import tseslint from "typescript-eslint";

export default tseslint.config(
	{ ignores: ["dist/**", "node_modules/**", "coverage/**", "reports/**", ".stryker-tmp/**"] },
	...tseslint.configs.recommended,
	{
		rules: {
			"@typescript-eslint/no-explicit-any": "error",
			"@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
			"no-console": "warn"
		}
	},
	{
		files: ["**/*.js", "**/*.mjs"],
		rules: { "@typescript-eslint/no-require-imports": "off" }
	}
);
