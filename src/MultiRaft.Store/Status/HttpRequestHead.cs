using System.Text;

namespace MultiRaft.Store.Status;

/// <summary>A strict reader of an HTTP/1.x request head (request line and header fields, up to the blank
/// line): enough to route a GET, and to refuse anything malformed with a reason.</summary>
internal static class HttpRequestHead
{
    /// <summary>Parses the head; on success gives the method and the path (without query), otherwise why not.</summary>
    public static bool TryParse(ReadOnlySpan<byte> head, out string method, out string path, out string problem)
    {
        method = path = problem = "";
        foreach (var b in head)
        {
            if ((b < 0x20 && b is not (byte)'\r' and not (byte)'\n' and not (byte)'\t') || b >= 0x7F)
            {
                problem = "the request head holds a control or non-ASCII byte";
                return false;
            }
        }
        var lines = Encoding.ASCII.GetString(head).Split('\n');
        var requestLine = lines[0].TrimEnd('\r');
        var parts = requestLine.Split(' ');
        if (parts.Length != 3 || parts[0].Length == 0 || !IsToken(parts[0]))
        {
            problem = "malformed request line";
            return false;
        }
        if (parts[2] is not ("HTTP/1.1" or "HTTP/1.0"))
        {
            problem = "only HTTP/1.0 and HTTP/1.1 are served";
            return false;
        }
        var target = parts[1];
        if (target.Length == 0 || target[0] != '/')
        {
            problem = "the request target must be an absolute path";
            return false;
        }
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length == 0)
            {
                continue; // The blank line that ends the head.
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || !IsToken(line.AsSpan(0, colon)))
            {
                problem = "malformed header field";
                return false;
            }
        }
        method = parts[0];
        var query = target.IndexOf('?', StringComparison.Ordinal);
        path = query < 0 ? target : target[..query];
        return true;
    }

    /// <summary>An RFC 9110 token: visible ASCII except separators.</summary>
    private static bool IsToken(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c <= ' ' || c >= 0x7F || "\"(),/:;<=>?@[\\]{}".Contains(c, StringComparison.Ordinal))
            {
                return false;
            }
        }
        return true;
    }
}
