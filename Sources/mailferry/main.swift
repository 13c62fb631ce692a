import CProcessTuning
import MailFerryCLI

mailferry_limit_malloc_arenas()
await MailFerryMain.run()
