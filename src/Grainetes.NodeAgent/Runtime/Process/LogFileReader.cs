using System.Runtime.CompilerServices;
using System.Text;

namespace Grainetes.NodeAgent.Runtime.Process;

/// <summary>Reads a container's log file by lines: the last N lines without reading the whole file, and following it while the container runs.</summary>
internal static class LogFileReader
{
    private const int Chunk = 64 * 1024;

    /// <param name="isFinished">Asked when the end of the file is reached while following: once it says true, what is left is drained and the reader ends.</param>
    public static async IAsyncEnumerable<string> ReadAsync(
        string path,
        int? tailLines,
        bool follow,
        Func<bool> isFinished,
        TimeSpan pollInterval,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            if (!follow)
            {
                yield break;
            }

            // The launcher creates the log when the container starts.
            while (!File.Exists(path))
            {
                if (isFinished())
                {
                    yield break;
                }

                await Task.Delay(pollInterval, cancellationToken).ConfigureAwait(false);
            }
        }

        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, Chunk, useAsync: true);
        if (tailLines is { } tail)
        {
            stream.Position = await FindTailStartAsync(stream, Math.Max(0, tail), cancellationToken).ConfigureAwait(false);
        }

        var decoder = Encoding.UTF8.GetDecoder();
        var buffer = new byte[Chunk];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(Chunk)];
        var line = new StringBuilder();
        var draining = false;
        while (true)
        {
            var read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read > 0)
            {
                var count = decoder.GetChars(buffer, 0, read, chars, 0, flush: false);
                for (var i = 0; i < count; i++)
                {
                    if (chars[i] == '\n')
                    {
                        yield return TrimCarriageReturn(line);
                        line.Clear();
                    }
                    else
                    {
                        line.Append(chars[i]);
                    }
                }

                continue;
            }

            // At the end: once the container is finished one more read drains what it wrote just before exiting.
            if (!follow || draining)
            {
                break;
            }

            if (isFinished())
            {
                draining = true;
                continue;
            }

            await Task.Delay(pollInterval, cancellationToken).ConfigureAwait(false);
        }

        if (line.Length > 0)
        {
            yield return TrimCarriageReturn(line);
        }
    }

    private static string TrimCarriageReturn(StringBuilder line)
    {
        if (line.Length > 0 && line[^1] == '\r')
        {
            line.Length--;
        }

        return line.ToString();
    }

    /// <summary>The offset of the first of the last <paramref name="lines"/> lines, scanning backwards from the end.</summary>
    private static async Task<long> FindTailStartAsync(FileStream stream, int lines, CancellationToken cancellationToken)
    {
        var length = stream.Length;
        if (length == 0)
        {
            return 0;
        }

        if (lines == 0)
        {
            return length;
        }

        var buffer = new byte[Chunk];
        var position = length;
        var newlines = 0;

        // A final newline ends the last line rather than starting an empty one.
        var skipLast = true;
        while (position > 0)
        {
            var size = (int)Math.Min(Chunk, position);
            position -= size;
            stream.Position = position;
            await stream.ReadExactlyAsync(buffer.AsMemory(0, size), cancellationToken).ConfigureAwait(false);
            for (var i = size - 1; i >= 0; i--)
            {
                if (buffer[i] != (byte)'\n')
                {
                    skipLast = false;
                    continue;
                }

                if (skipLast)
                {
                    skipLast = false;
                    continue;
                }

                if (++newlines == lines)
                {
                    return position + i + 1;
                }
            }
        }

        return 0;
    }
}
