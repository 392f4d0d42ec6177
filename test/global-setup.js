const { execFileSync } = require('node:child_process');

// The CLI tests run the bundled app exactly as `npm run synth` does.
module.exports = () => {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: `${__dirname}/..`, stdio: 'inherit' });
};
