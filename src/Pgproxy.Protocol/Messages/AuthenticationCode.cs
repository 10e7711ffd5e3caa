namespace Pgproxy.Protocol.Messages;

/// <summary>The Int32 that follows the length in an AuthenticationRequest ('R') message.</summary>
public static class AuthenticationCode
{
    public const int Ok = 0;
    public const int CleartextPassword = 3;
    public const int Md5Password = 5;
    public const int Sasl = 10;
    public const int SaslContinue = 11;
    public const int SaslFinal = 12;
}
