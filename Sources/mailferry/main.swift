import MailFerryCLI

await MailFerryMain.run()
