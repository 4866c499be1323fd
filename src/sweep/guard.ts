/**
 * Preloaded (`node --import`) into every training process a sweep starts: when the process that
 * started it is gone (a worker killed, a machine's sweep interrupted), the run stops too, at its next
 * turn of the event loop, instead of training on as an orphan beside the retry that resumes it.
 * @since 0.1.0
 */
const parent = process.ppid
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGKILL')
}, 250).unref()
