using System.Text;
using Pgproxy.Core.Auth;
using Pgproxy.Core.Config;
using Pgproxy.Protocol.Auth;

namespace Pgproxy.Cli;

/// <summary>
/// <c>pgproxy passwd</c>: adds or replaces a user's entry in the pool_passwd file the configuration names, in the
/// form asked for (pgpool's pg_md5 and pg_enc in one command). The password is read from the terminal without
/// echo, or from the first line of standard input (for <c>-m scram</c> that line may be a verifier copied from
/// pg_authid, which is stored as it is). The file is rewritten whole through a temporary file, so a
/// running pgproxy reading it at a reload never sees half a file; other lines stay as they were.
/// </summary>
internal static class PasswdCommand
{
    public static int Run(ProxyOptions options, CommandLine command, TextReader input, TextWriter output,
        TextWriter errors)
    {
        var path = options.PoolPasswd;
        if (path.Length == 0)
        {
            errors.WriteLine("pgproxy: ERROR: pool_passwd is disabled ('' in the configuration); nothing to write");
            return 1;
        }

        var user = command.PasswordUser ?? Environment.UserName;
        if (user.Length == 0)
        {
            errors.WriteLine("pgproxy: ERROR: the user name must not be empty");
            return 1;
        }

        string? key = null;
        if (command.PasswordForm == "aes")
        {
            var keyFile = PoolKey.ResolvePath(options.PoolKey);
            key = PoolKey.TryRead(keyFile, out var problem, out var warning);
            if (warning is not null)
            {
                errors.WriteLine($"pgproxy: WARNING: {warning}");
            }

            if (key is null)
            {
                errors.WriteLine($"pgproxy: ERROR: {problem ?? $"no pool key file \"{keyFile}\""}; create one " +
                    "(its first line is the key, mode 0600) and name it with -k or pool_key, or choose another " +
                    "form with -m text|md5|scram");
                return 1;
            }
        }

        var fromTerminal = !command.PasswordFromStdin && !Console.IsInputRedirected;
        var password = fromTerminal ? PromptTwice(output) : input.ReadLine();
        if (password is null)
        {
            errors.WriteLine(fromTerminal
                ? "pgproxy: ERROR: the two passwords do not match"
                : "pgproxy: ERROR: no password on standard input");
            return 1;
        }

        if (password.Length == 0)
        {
            errors.WriteLine("pgproxy: ERROR: empty password (PostgreSQL never accepts one)");
            return 1;
        }

        var secret = command.PasswordForm switch
        {
            "md5" => Md5Password.HashForPoolPasswd(user, password),
            // A verifier copied from pg_authid is kept as it is: with the node's own salt, pgproxy can log into
            // the node with the ClientKey of a client's SCRAM proof.
            "scram" => ScramVerifier.TryParse(password, out var verifier) ? verifier.ToString()
                : ScramVerifier.Create(password).ToString(),
            "text" => PoolPasswdFile.TextSecret(password),
            _ => AesPassword.Prefix + AesPassword.Encrypt(password, key!),
        };

        try
        {
            var existing = File.Exists(path) ? File.ReadAllText(path) : "";
            WriteReplacing(path, PoolPasswdFile.Upsert(existing, user, PoolPasswdFile.FormatLine(user, secret)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.WriteLine($"pgproxy: ERROR: could not write \"{path}\": {e.Message}");
            return 1;
        }

        output.WriteLine($"pgproxy: wrote the {command.PasswordForm} entry of user \"{user}\" to \"{path}\"; " +
            "a running pgproxy uses it after \"pgproxy reload\"");
        return 0;
    }

    /// <summary>
    /// Writes through a temporary file in the same folder, keeping the old file's mode (0600 when new).
    /// </summary>
    private static void WriteReplacing(string path, string text)
    {
        var temp = path + ".tmp";
        File.Delete(temp); // a leftover would keep its own mode
        var mode = !OperatingSystem.IsWindows() && File.Exists(path)
            ? File.GetUnixFileMode(path)
            : UnixFileMode.UserRead | UnixFileMode.UserWrite;
        if (OperatingSystem.IsWindows())
        {
            File.WriteAllText(temp, text);
        }
        else
        {
            using var stream = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = mode,
            });
            stream.Write(Encoding.UTF8.GetBytes(text));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    private static string? PromptTwice(TextWriter output)
    {
        var first = Prompt(output, "Password: ");
        var second = Prompt(output, "Enter it again: ");
        return first == second ? first : null;
    }

    /// <summary>Reads a line from the terminal without echoing it.</summary>
    private static string Prompt(TextWriter output, string prompt)
    {
        output.Write(prompt);
        output.Flush();
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                output.WriteLine();
                return text.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0)
                {
                    text.Length--;
                }
            }
            else if (key.KeyChar != '\0')
            {
                text.Append(key.KeyChar);
            }
        }
    }
}
